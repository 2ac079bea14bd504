# normbench: `make` builds build/normbench; `make run` and `make check`
# install what is missing first (scripts/install-deps.sh).

CC ?= cc
ifeq ($(origin CC),default)
CC = gcc
endif
CFLAGS ?= -O2 -g
# -ffp-contract=off: the compiler must not fuse a*b+c on its own, or a
# kernel's rounding would depend on the optimiser. -fno-math-errno lets
# sqrtf be one instruction.
NB_CFLAGS = -std=gnu11 -Wall -Wextra -Wshadow -Werror=missing-prototypes -ffp-contract=off -fno-math-errno \
            -MMD -MP -Isrc -Ikernels -Ibuild/gen
NB_CFLAGS_SHORT = -std=gnu11 -ffp-contract=off -fno-math-errno
# One pkg-config call per package: a missing one loses its own flags (and
# the compiler then names its header), not every package's at once.
PKGS = mpfr gmp hwloc papi inih json-c
PKG_CONFIG ?= pkg-config
PKG_CFLAGS = $(foreach p,$(PKGS),$(shell $(PKG_CONFIG) --cflags $(p) 2>/dev/null))
PKG_LIBS = $(foreach p,$(PKGS),$(shell $(PKG_CONFIG) --libs $(p) 2>/dev/null))
# libcsv ships no pkg-config file
LIBS = $(PKG_LIBS) -lcsv -lm -lpthread -ldl $(if $(HAVE_ONEDNN),-ldnnl -lgomp)
PREFIX ?= /usr/local
VERSION := $(shell cat VERSION)
CONFIG_DIR = $(PREFIX)/share/normbench/configs

# Each ISA's kernel files end in _ISA.c and get that ISA's flags; nothing
# else is built with vector flags, so the harness runs on any x86-64.
# Adding an ISA: kernels/*_newisa.c and a FLAGS_newisa line here.
# Every kernel starts on a 64-byte boundary, in the binary and in the
# library alike: where a function lands then does not depend on the size of
# the code before it, so a change to one kernel does not move another's
# loops across fetch boundaries (ab would see that as a change of speed).
# Loops start on 32-byte boundaries: rmsnorm/fused/avx2's six-instruction
# normalise loop, once it no longer reloaded a->g, straddled a 64-byte
# line and ran 6 to 16% slower in ab (two processes); aligned, 1 to 9%
# faster than before.
KERNEL_ALIGN = -falign-functions=64 -falign-loops=32
# Each ISA's compiler flags and architecture come from its row of
# kernels/isa.def (name, NAME, arch, valgrind, needs, "flags"): rows as
# name:arch:flags with the flags' spaces as ~.
ISA_ROWS := $(shell sed -n 's/^NB_ISA(\([a-z0-9]*\), *[A-Z0-9]*, *\([a-z0-9]*\),.*"\([^"]*\)").*/\1:\2:\3/p' kernels/isa.def | tr ' ' '~')
isa_field = $(word $(2),$(subst :, ,$(1)))
$(foreach r,$(ISA_ROWS),$(eval FLAGS_$(call isa_field,$(r),1) := $(subst ~, ,$(call isa_field,$(r),3))))
# ext: external libraries, compiled always, calling them only when present
HAVE_ONEDNN = $(shell [ -f /usr/include/dnnl.h ] && echo yes)
FLAGS_ext += $(if $(HAVE_ONEDNN),-DNB_HAVE_ONEDNN)
isa_of = $(lastword $(subst _, ,$(basename $(notdir $(1)))))

# the ISAs this machine's architecture compiles: every `any` row, and the
# `x86` rows on x86-64
ARCH := $(shell uname -m)
ARCHES = any $(if $(filter x86_64,$(ARCH)),x86) $(if $(filter aarch64,$(ARCH)),aarch64)
BUILT_ISAS := $(foreach r,$(ISA_ROWS),$(if $(filter $(call isa_field,$(r),2),$(ARCHES)),$(call isa_field,$(r),1)))
KERNEL_SRC = $(foreach i,$(BUILT_ISAS),$(wildcard kernels/*_$(i).c))
LIB_SRC = $(filter-out src/main.c,$(wildcard src/*.c))
OBJ_DIR = build/obj$(SUFFIX)
LIB_OBJ = $(patsubst %.c,$(OBJ_DIR)/%.o,$(LIB_SRC) $(KERNEL_SRC))
BIN = build/normbench$(SUFFIX)

# The kernel library `ab` loads: the kernels and their table, nothing of
# the harness, position-independent, in a build tree of its own. Hidden
# visibility exports the table only, and lets the compiler inline and call
# directly as in the binary (with interposable symbols it may not).
LIB_SO = build/libnormbench-kernels$(SUFFIX).so
SO_KERNEL_SRC = $(filter-out kernels/%_ext.c,$(KERNEL_SRC)) kernels/library.c
SO_OBJ = $(patsubst %.c,build/obj-pic$(SUFFIX)/%.o,$(SO_KERNEL_SRC))

TEST_SRC = $(wildcard tests/src/test_*.c tests/kernels/test_*.c)
TEST_BIN = $(patsubst tests/%.c,build/tests$(SUFFIX)/%,$(TEST_SRC))

# Fuzz targets (tests/fuzz/fuzz_NAME.c, seeds in tests/fuzz/corpus/NAME/):
# `make fuzz` runs each under libFuzzer for FUZZ_TIME seconds; `make check`
# replays each corpus through the same target built without libFuzzer.
FUZZ_TARGETS = $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
REPLAY_BIN = $(patsubst %,build/tests$(SUFFIX)/fuzz/replay_%,$(FUZZ_TARGETS))
FUZZ_TIME ?= 600
FUZZ_CC ?= clang-14
FUZZ_CFLAGS = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

DEPS_STAMP = build/.deps-ok
# Generated headers: the git revision (rewritten only when HEAD moves or
# the tree's tracked files start or stop differing from it, so meta.csv's
# git_revision follows commits without rebuilding everything, and a build
# of uncommitted changes says "-dirty" instead of passing for HEAD)
# and the embedded default suite (configs/default.ini as a C string).
GEN = build/gen/git-rev.h build/gen/default-suite.inc

.PHONY: all lib deps run check check-build uninstall FORCE check-sanitize check-valgrind check-aarch64 fuzz fuzz-build baseline ci-gate install clean
all: $(BIN)

# Installs the Debian packages only when a probe fails.
deps: $(DEPS_STAMP)
$(DEPS_STAMP): scripts/install-deps.sh
	@if pkg-config --exists $(PKGS) criterion && [ -f /usr/include/csv.h ] && command -v gnuplot >/dev/null \
	    && /usr/bin/python3 -c 'import numpy' 2>/dev/null \
	    && command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null; then :; \
	 else sh scripts/install-deps.sh; fi
	@mkdir -p build && touch $@

build/gen/git-rev.h: FORCE
	@mkdir -p $(dir $@)
	@rev=$$(git rev-parse --short HEAD 2>/dev/null || echo unknown); \
	 [ "$$rev" = unknown ] || git diff --quiet HEAD -- 2>/dev/null || rev="$$rev-dirty"; \
	 line="#define NB_GIT_REV \"$$rev\""; \
	 [ -f $@ ] && [ "$$(cat $@)" = "$$line" ] || echo "$$line" > $@

# The kernels' compiler flags, rewritten only when they change: the kernel
# objects depend on it, so a new flag (an alignment, say) rebuilds them
# instead of leaving objects of the old flags in a library ab compares.
KERNEL_FLAGS_STAMP = build/gen/kernel-flags$(SUFFIX)
$(KERNEL_FLAGS_STAMP): FORCE
	@mkdir -p $(dir $@)
	@line='$(CC) $(CFLAGS) $(NB_CFLAGS) $(KERNEL_ALIGN)'; \
	 [ -f $@ ] && [ "$$(cat $@)" = "$$line" ] || echo "$$line" > $@

build/gen/default-suite.inc: configs/default.ini
	@mkdir -p $(dir $@)
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $< > $@

$(OBJ_DIR)/kernels/%.o: kernels/%.c $(KERNEL_FLAGS_STAMP) | $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(NB_CFLAGS) $(KERNEL_ALIGN) $(FLAGS_$(call isa_of,$<)) -c $< -o $@

$(OBJ_DIR)/src/%.o: src/%.c | $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(NB_CFLAGS) $(PKG_CFLAGS) -DNB_VERSION='"$(VERSION)"' -DNB_CONFIG_DIR='"$(CONFIG_DIR)"' -DNB_BUILD_FLAGS='"$(CFLAGS) $(NB_CFLAGS_SHORT)"' -c $< -o $@

build/obj-pic$(SUFFIX)/kernels/%.o: kernels/%.c $(KERNEL_FLAGS_STAMP) | $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(NB_CFLAGS) -fPIC -fvisibility=hidden $(KERNEL_ALIGN) $(FLAGS_$(call isa_of,$<)) -c $< -o $@

lib: $(LIB_SO)
$(LIB_SO): $(SO_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,--no-undefined $^ -lm -o $@

$(BIN): $(OBJ_DIR)/src/main.o $(LIB_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LIBS) -o $@

build/tests$(SUFFIX)/%: tests/%.c $(LIB_OBJ) | $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(NB_CFLAGS) $(PKG_CFLAGS) $(CRITERION_CFLAGS) $< $(LIB_OBJ) $(LIBS) $(CRITERION_LIBS) -lcriterion -o $@

build/tests$(SUFFIX)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(LIB_OBJ) | $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(NB_CFLAGS) $(PKG_CFLAGS) -Itests/fuzz -D_GNU_SOURCE $(filter %.c %.o,$^) $(LIBS) -o $@

build/fuzz$(SUFFIX)/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(NB_CFLAGS) $(PKG_CFLAGS) -Itests/fuzz -D_GNU_SOURCE -fsanitize=fuzzer $(filter %.c %.o,$^) $(LIBS) -o $@

# The embedded default suite (configs/default.ini): results/<run-id>/ with
# perf.csv, samples.csv, accuracy.csv, meta.csv, report.md and plots/.
# Only these targets install what is missing; plain `make` never runs apt.
# The build runs in a second make so that pkg-config sees what deps added.
run:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory $(BIN)
	./$(BIN)

# LD_PRELOAD fault injection for tests/e2e/test_faults.sh: built without
# the sanitizers, since it only forwards calls.
FAULT_SHIM = build/tests$(SUFFIX)/fault_shim.so
$(FAULT_SHIM): tests/e2e/fault_shim.c
	@mkdir -p $(dir $@)
	$(CC) -O1 -g -shared -fPIC $(PKG_CFLAGS) $< -o $@ -ldl

check:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory check-build
	sh tests/run-all.sh "$(SUFFIX)"

check-build: $(BIN) $(LIB_SO) $(TEST_BIN) $(REPLAY_BIN) $(FAULT_SHIM)
	@# the build must also work without oneDNN: its file compiles to the stubs
	$(CC) -std=gnu11 -Wall -Wextra -Werror -Isrc -Ikernels -Ibuild/gen -fsyntax-only kernels/layernorm_ext.c
	@# the F16C probe README cites is not part of the tool, but must still build
	$(CC) -std=gnu11 -Wall -Wextra -Werror -fsyntax-only scripts/f16c-rate.c

# libFuzzer on every target for FUZZ_TIME seconds each (default 600), with
# ASan and UBSan; findings land in build/fuzz-out/NAME/. Needs clang-14 and
# its runtime (install-deps.sh --fuzz installs them).
fuzz:
	@command -v $(FUZZ_CC) >/dev/null && [ -f /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a ] \
	 || sh scripts/install-deps.sh --fuzz
	$(MAKE) fuzz-build SUFFIX=-fuzz CC=$(FUZZ_CC) CFLAGS="$(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link"
	sh scripts/fuzz.sh $(FUZZ_TIME) $(FUZZ_TARGETS)

fuzz-build: $(patsubst %,build/fuzz$(SUFFIX)/fuzz_%,$(FUZZ_TARGETS))

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer, in
# its own build tree.
# The fast reference's comparison with MPFR runs on 1 million values of
# each norm and dtype there (10 million in make check): the sanitizers look
# for memory and undefined behaviour, which a million values reach as well.
check-sanitize:
	NB_REF_VALUES=1000000 $(MAKE) check SUFFIX=-san CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

# The suite's binaries under valgrind memcheck (AVX-512 variants skip
# themselves: valgrind's CPU has none).
check-valgrind:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory check-build
	NB_VALGRIND=1 NB_REF_VALUES=100000 sh tests/run-all.sh "$(SUFFIX)"

# The whole suite for aarch64 on any Linux machine: cross-built with
# Debian's gcc-aarch64-linux-gnu against the arm64 packages, every aarch64
# program run by qemu-user (scripts/qemu-aarch64.sh: a private binfmt_misc
# in a user namespace), -cpu max with SVE at 512 bits; the kernel tests
# again at 128 and 256. NB_EMULATED tells the end-to-end tests why counters,
# valgrind, Slurm and the x86 ceilings are not there.
# Criterion for arm64 lives in build/aarch64-sysroot (install-deps.sh says
# why); DT_RPATH, not RUNPATH, so that it also finds its libnanomsg there
AARCH64_CRIT = $(abspath build/aarch64-sysroot)
AARCH64 = ARCH=aarch64 CC=aarch64-linux-gnu-gcc PKG_CONFIG=aarch64-linux-gnu-pkg-config HAVE_ONEDNN= SUFFIX=-aarch64 \
          CRITERION_CFLAGS=-I$(AARCH64_CRIT)/usr/include \
          CRITERION_LIBS='-L$(AARCH64_CRIT)/usr/lib/aarch64-linux-gnu -Wl,--disable-new-dtags,-rpath,$(AARCH64_CRIT)/usr/lib/aarch64-linux-gnu'
QEMU_RUN = NB_EMULATED=qemu-user NB_CC=aarch64-linux-gnu-gcc NB_FAST_KERNEL=rmsnorm/fused/neon/f32 NB_REF_VALUES=100000 \
           sh scripts/qemu-aarch64.sh
check-aarch64:
	@command -v aarch64-linux-gnu-gcc >/dev/null && command -v qemu-aarch64 >/dev/null \
	    && aarch64-linux-gnu-pkg-config --exists $(PKGS) && [ -f /usr/lib/aarch64-linux-gnu/libcsv.so ] \
	    && [ -f build/aarch64-sysroot/usr/lib/aarch64-linux-gnu/libcriterion.so ] \
	    || sh scripts/install-deps.sh --aarch64
	@$(MAKE) --no-print-directory $(AARCH64) check-build
	$(QEMU_RUN) sh tests/run-all.sh -aarch64
	for vl in 16 32; do \
	    QEMU_CPU=max,sve-default-vector-length=$$vl $(QEMU_RUN) sh -c \
	        'for t in build/tests-aarch64/kernels/test_variants build/tests-aarch64/kernels/test_guard_pages; do \
	             echo "== $$t (SVE $$((8 * $$0)) bits)"; $$t || exit 1; done' $$vl || exit 1; \
	done

# The instruction-count baseline CI gates on (scripts/ci-gate.sh). Refresh
# it on purpose, when a change is meant to alter what the kernels execute,
# and commit results/baselines/ci/ with that change.
baseline: $(BIN)
	rm -rf results/baselines/ci
	./$(BIN) run --config configs/ci.ini --count instructions --no-report --out results/baselines/ci

ci-gate: $(BIN)
	sh scripts/ci-gate.sh

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(CONFIG_DIR)
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/normbench
	install -m 644 configs/*.ini $(DESTDIR)$(CONFIG_DIR)

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/normbench
	rm -f $(patsubst configs/%,$(DESTDIR)$(CONFIG_DIR)/%,$(wildcard configs/*.ini))
	-rmdir $(DESTDIR)$(CONFIG_DIR) $(DESTDIR)$(PREFIX)/share/normbench 2>/dev/null

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
