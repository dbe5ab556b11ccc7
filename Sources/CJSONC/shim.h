#ifndef FSMDECODE_CJSONC_SHIM_H
#define FSMDECODE_CJSONC_SHIM_H
#include <json.h>
#include <json_object_iterator.h>
#endif
