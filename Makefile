# The README's two commands: `make demo` and `make test`. Each installs the system
# libraries it needs (Debian packages) when they are missing, then builds.
SWIFT ?= swift
APT_PACKAGES := libpcre2-dev libjson-c-dev pkg-config
SHARED ?= $(abspath ../shared)

.PHONY: deps build release demo test test-release bench clean

deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

demo: release
	@./scripts/demo.sh "$$($(SWIFT) build -c release --show-bin-path)/fsmdecode"

test: deps
	$(SWIFT) test

# Corpus-wide and brute-force suites over full vocabularies (FSMDECODE_FULL=1 turns them on).
test-release: deps
	FSMDECODE_FULL=1 $(SWIFT) test -c release

bench: deps
	cd Benchmarks && $(SWIFT) run -c release fsmdecode-benchmarks

clean:
	rm -rf .build
