# Thin wrapper over the deno.json tasks. When `deno` is not on PATH, the pinned
# Deno is installed from the npm registry into .tools/ (git-ignored) and used
# (.ci/install-deno, which ./taskmaster uses too).
DENO_VERSION := 2.9.6
LOCAL_DENO := .tools/node_modules/.bin/deno
DENO := $(shell command -v deno 2>/dev/null || echo $(LOCAL_DENO))
CONFIG ?= configs/example.yaml

.PHONY: run test check build dist bench deno clean native

run:
	./taskmaster -c $(CONFIG)

test: $(DENO)
	$(DENO) task test

check: $(DENO)
	$(DENO) task check

# deno compile downloads its runtime (denort); on an offline machine point
# DENORT_BIN at a matching denort binary.
build: $(DENO)
	$(DENO) task build

# Release binaries for linux/macOS x64/arm64, tarballs and SHA256SUMS in dist/.
# Needs denort for each target (online, or DENORT_BIN for the host's target only).
dist: $(DENO)
	$(DENO) run --allow-run --allow-read --allow-write --allow-env release/dist.ts

bench: $(DENO)
	$(DENO) task bench

# After editing a C source in native/: regenerates src/*/native_*_code.ts (gcc).
native:
	sh native/build.sh

$(LOCAL_DENO):
	.ci/install-deno . $(DENO_VERSION)

clean:
	rm -rf bin coverage dist
