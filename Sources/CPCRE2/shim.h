#ifndef FSMDECODE_CPCRE2_SHIM_H
#define FSMDECODE_CPCRE2_SHIM_H
// 8-bit code units: Swift then sees pcre2_compile_8, pcre2_match_8, ...
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#endif
