# Front door for people: every target is a thin wrapper over scripts/ and
# CMake (the build of record). See README.md.
BUILD_DIR ?= build
ASAN_DIR ?= build-asan
PREFIX ?= /usr/local
GENERATOR ?= Ninja
CTEST_ARGS ?= --output-on-failure -j2
DEMO_DIR ?= $(BUILD_DIR)/demo
# ccache keys on paths relative to the checkout, so clones elsewhere (CI's
# fresh clone) reuse earlier compilations. With -g the compiler's working
# directory would still be hashed (it lands in the debug info); NOHASHDIR
# drops it, at the price of debug info naming the first checkout's paths.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true

.PHONY: all deps test-deps build test demo bench install uninstall asan bazel format tidy clean

all: build

deps:
	scripts/setup.sh

# The tests also drive real podman, containerd and dockerd (tests/clients),
# so the test command installs them: a client test skips only on a machine
# where they cannot be installed, never because setup left them out.
test-deps:
	scripts/setup.sh --clients

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G $(GENERATOR) \
	  $$(command -v ccache >/dev/null && echo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

build: $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR)

# The README's test command: installs what is missing, builds, runs every test
# and prints ctest's summary.
test: test-deps build
	cd $(BUILD_DIR) && ctest $(CTEST_ARGS)

# Sets everything up and runs a container in the sandbox on a locally made
# busybox bundle (no registry).
demo: deps build
	scripts/make-busybox-bundle.sh $(DEMO_DIR)
	scripts/demo.sh $(BUILD_DIR)/runsc $(DEMO_DIR)

bench: deps build
	scripts/bench.sh $(BUILD_DIR)

install: build
	install -D -m 0755 $(BUILD_DIR)/runsc $(DESTDIR)$(PREFIX)/bin/runsc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/runsc

asan: deps
	cmake -S . -B $(ASAN_DIR) -G $(GENERATOR) -DRUNSC_SANITIZE=ON \
	  $$(command -v ccache >/dev/null && echo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
	cmake --build $(ASAN_DIR)
	cd $(ASAN_DIR) && ctest $(CTEST_ARGS)

bazel: deps
	bazel build //... && bazel test //...

format:
	git ls-files '*.cc' '*.h' | xargs clang-format -i

tidy: $(BUILD_DIR)/build.ninja
	git ls-files '*.cc' | xargs clang-tidy -p $(BUILD_DIR) --quiet

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
