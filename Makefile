# crest — one `make` builds everything into build/; `make install PREFIX=...`
# installs bin/, lib/, include/ and man pages.

PREFIX ?= /usr/local
BUILD ?= build
CC ?= cc
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation
BASE := -std=gnu11 -D_GNU_SOURCE -fPIC -fvisibility=hidden -Iinclude -msse4.2 $(WARN) $(EXTRA_CFLAGS)
LDFLAGS ?=

COMMON_SRC := src/common/crc32c.c src/common/cpu_features.c src/common/maps_parse.c \
              src/common/control_path.c src/common/image_reader.c src/common/snapshot.c
LIB_SRC := src/lib/init.c src/lib/manager.c src/lib/stop.c src/lib/api.c src/lib/futex.c \
           src/lib/interpose.c src/lib/image_writer.c src/lib/restore_state.c \
           src/lib/restore_kernel_fds.c src/lib/warn.c
LIB_ASM := src/lib/context_switch.S
# The runtime: what crestd, mpirun and the crest command share.
RT_SRC := src/runtime/wire.c src/runtime/loop.c src/runtime/conn.c src/runtime/sha256.c \
          src/runtime/hosts.c src/runtime/launch.c src/runtime/runtime_dir.c \
          src/runtime/local_client.c src/runtime/schema.c
CRESTD_SRC := src/runtime/daemon_main.c src/runtime/daemon_tree.c src/runtime/daemon_job.c \
              src/runtime/daemon_root.c src/runtime/daemon_ckpt.c
MPIRUN_SRC := src/tools/mpirun.c src/tools/mpirun_ckpt.c
# libmpi: every file of src/mpi, and the ranks' side of the runtime.
MPI_SRC := $(sort $(wildcard src/mpi/*.c)) src/runtime/rank_client.c src/runtime/wire.c
TOOL_SRC := src/tools/crest.c src/tools/cmd_run.c src/tools/cmd_checkpoint.c \
            src/tools/cmd_boot.c src/tools/cmd_ps.c src/tools/job_list.c src/tools/cmd_checkpoint_job.c \
            src/tools/cmd_info.c src/tools/cmd_restart.c src/restore/restore_plan.c
# The restorer's last stage runs with nothing else mapped: it is built
# freestanding, and `make` checks that it references nothing outside itself.
BLOB_SRC := src/restore/restore_blob.c
BLOB_FLAGS := -std=gnu11 -D_GNU_SOURCE -O2 -fPIC -ffreestanding -fno-builtin -fno-stack-protector \
              -fno-jump-tables -fno-tree-loop-distribute-patterns -fcf-protection=none \
              -fno-asynchronous-unwind-tables -mgeneral-regs-only -Iinclude $(WARN)

obj = $(patsubst src/%,$(BUILD)/obj/%.o,$(1))
COMMON_OBJ := $(call obj,$(COMMON_SRC))
LIB_OBJ := $(call obj,$(LIB_SRC) $(LIB_ASM))
TOOL_OBJ := $(call obj,$(TOOL_SRC))
BLOB_OBJ := $(BUILD)/obj/restore/restore_blob.c.o
RT_OBJ := $(call obj,$(RT_SRC))
CRESTD_OBJ := $(call obj,$(CRESTD_SRC))
MPIRUN_OBJ := $(call obj,$(MPIRUN_SRC))
MPI_OBJ := $(call obj,$(MPI_SRC))

LIBCREST := $(BUILD)/lib/libcrest.so
CREST := $(BUILD)/bin/crest
CRESTD := $(BUILD)/bin/crestd
MPIRUN := $(BUILD)/bin/mpirun
LIBMPI := $(BUILD)/lib/libmpi.so.12
MPICC := $(BUILD)/bin/mpicc $(BUILD)/bin/mpicxx

all: $(LIBCREST) $(CREST) $(CRESTD) $(MPIRUN) $(BUILD)/include/crest.h mpi

# The MPI library and its compiler wrappers.
mpi: $(LIBMPI) $(MPICC) $(BUILD)/include/mpi.h

$(BUILD)/obj/%.c.o: src/%.c $(wildcard src/*/*.h include/*.h) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) -Isrc/mpi -Isrc/runtime -c $< -o $@

$(BUILD)/obj/%.S.o: src/%.S Makefile
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@

$(BLOB_OBJ): $(BLOB_SRC) $(wildcard src/*/*.h) Makefile scripts/check-blob.sh
	@mkdir -p $(dir $@)
	$(CC) $(BLOB_FLAGS) -c $< -o $@
	@sh scripts/check-blob.sh $@ || { rm -f $@; exit 1; }

$(LIBCREST): $(LIB_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,libcrest.so.0 -Wl,-z,defs -Wl,-z,now -o $@ $^ $(LDFLAGS) -lpthread -ldl
	ln -sf libcrest.so $(BUILD)/lib/libcrest.so.0

$(CREST): $(TOOL_OBJ) $(BLOB_OBJ) $(COMMON_OBJ) $(RT_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDFLAGS) $(TOOL_LDFLAGS) -lpthread

$(CRESTD): $(CRESTD_OBJ) $(RT_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDFLAGS) $(TOOL_LDFLAGS) -lpthread

# mpiexec is the standard's name for the same launcher.
$(MPIRUN): $(MPIRUN_OBJ) $(RT_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDFLAGS) $(TOOL_LDFLAGS) -lpthread
	ln -sf mpirun $(BUILD)/bin/mpiexec

# libmpi.so.12 is MPICH's soname; programs built with MPICH's mpicc ask for
# libmpich.so.12, the same library here.
$(LIBMPI): $(MPI_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,libmpi.so.12 -Wl,-z,defs -Wl,-z,now -o $@ $^ $(LDFLAGS) -lpthread -lm
	ln -sf libmpi.so.12 $(BUILD)/lib/libmpi.so
	ln -sf libmpi.so.12 $(BUILD)/lib/libmpich.so.12
	ln -sf libmpi.so.12 $(BUILD)/lib/libmpich.so

$(BUILD)/bin/mpicc: scripts/mpicc.in
	@mkdir -p $(dir $@)
	sed -e 's/@NAME@/mpicc/; s/@LANG@/C/; s/@ENVCC@/MPICH_CC/g; s/@CC@/cc/' $< >$@
	chmod 755 $@

$(BUILD)/bin/mpicxx: scripts/mpicc.in
	@mkdir -p $(dir $@)
	sed -e 's/@NAME@/mpicxx/; s/@LANG@/C++/; s/@ENVCC@/MPICH_CXX/g; s/@CC@/c++/' $< >$@
	chmod 755 $@

$(BUILD)/include/crest.h: include/crest.h
	@mkdir -p $(dir $@)
	cp $< $@

$(BUILD)/include/mpi.h: include/mpi.h
	@mkdir -p $(dir $@)
	cp $< $@

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include \
	    $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man3
	install -m 755 $(CREST) $(DESTDIR)$(PREFIX)/bin/crest
	install -m 755 $(CRESTD) $(DESTDIR)$(PREFIX)/bin/crestd
	install -m 755 $(MPIRUN) $(DESTDIR)$(PREFIX)/bin/mpirun
	ln -sf mpirun $(DESTDIR)$(PREFIX)/bin/mpiexec
	install -m 755 $(BUILD)/bin/mpicc $(BUILD)/bin/mpicxx $(DESTDIR)$(PREFIX)/bin/
	install -m 755 $(LIBMPI) $(DESTDIR)$(PREFIX)/lib/libmpi.so.12
	ln -sf libmpi.so.12 $(DESTDIR)$(PREFIX)/lib/libmpi.so
	ln -sf libmpi.so.12 $(DESTDIR)$(PREFIX)/lib/libmpich.so.12
	ln -sf libmpi.so.12 $(DESTDIR)$(PREFIX)/lib/libmpich.so
	install -m 644 include/mpi.h $(DESTDIR)$(PREFIX)/include/mpi.h
	install -m 755 $(LIBCREST) $(DESTDIR)$(PREFIX)/lib/libcrest.so.0
	ln -sf libcrest.so.0 $(DESTDIR)$(PREFIX)/lib/libcrest.so
	install -m 644 include/crest.h $(DESTDIR)$(PREFIX)/include/crest.h
	install -m 644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 man/*.3 $(DESTDIR)$(PREFIX)/share/man/man3/
	install -d $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 644 man/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	ln -sf mpirun.1 $(DESTDIR)$(PREFIX)/share/man/man1/mpiexec.1

check: all
	bash tests/run.sh

demo: all
	bash scripts/demo.sh

# The crest command with AddressSanitizer and UndefinedBehaviorSanitizer, for
# the tests of its image parsing, checking and refusal paths (libcrest and the
# restorer's last stage cannot be instrumented: see README.md).
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
sanitize:
	$(MAKE) BUILD=build-asan EXTRA_CFLAGS="$(SAN)" TOOL_LDFLAGS="$(SAN)" build-asan/bin/crest \
	    build-asan/bin/crestd build-asan/bin/mpirun

clean:
	rm -rf $(BUILD) build-asan

.PHONY: all mpi install check demo sanitize clean
