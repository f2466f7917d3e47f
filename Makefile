# Deferred work lab in Rust: the README's commands.
#   make run     build what is missing, boot the guest with a shell (modules and ./test in /root)
#   make test    build what is missing, run every check; ends with "N passed, N failed"
#   make soak    the abuse scenarios' long loops at full count (make test runs them shorter)
#   make exec CMD='insmod dw_timer.ko; sleep 2'   run one command in a fresh guest
#   make bench   the Rust modules next to their C twins: instruction counts (QEMU -icount, 2 boots)
#                and wall clock (ARGS='--mode both|wall|instructions --runs 2 --rounds 3 --ioctls N --samples N')
#   make skels   write the student tree, build/skels (TASKS="1 2", SKELS=DIR, FORCE=1)
#   make check   build the student tree, run its tasks' checks (TASK="1 3", SKELS=DIR)
#   make grade   grade a class: SUBMISSIONS=DIR, one tree per student (OUT=DIR, JOBS=N, TASK="1 3",
#                POINTS=FILE); build/grade/class.csv, class.md and a folder per student
#   make grade-proof   grade a class made from the solutions, mutants and forgers; check every
#                grade (JOBS=N; about two minutes a tree)
#   make fmt     format the kernel code (the kernel's .rustfmt.toml) and the host code
#   make rust-analyzer   write modules/rust-project.json for editors (the kernel's own generator)
#   make build   only build what is missing (toolchain, kernel, modules, test program, initramfs)
#   make kernel-pack   the kernel in one archive for other machines (PACK=FILE, by default
#                build/kernel-pack.tar.zst); KERNEL_PACK=FILE make ... unpacks it instead of building
#   make clean   remove build/ and target/ (the kernel cache in ~/.cache/deferred-work-rs stays)
# KDIR=/path/to/your/built/kernel skips the toolchain and kernel setup.

.PHONY: run test soak bench exec build kernel-pack fmt rust-analyzer clean skels check grade \
    grade-proof
run:
	scripts/run.sh
test:
	scripts/test.sh $(ARGS)
soak:
	scripts/soak.sh $(ARGS)
bench:
	scripts/bench.sh $(ARGS)
exec:
	scripts/exec.sh -- '$(CMD)'
build:
	scripts/build.sh
kernel-pack:
	scripts/kernel-pack.sh $(PACK)
skels:
	scripts/skels.sh
check:
	scripts/check.sh
grade:
	scripts/grade.sh
grade-proof:
	scripts/grade-proof.sh
fmt:
	scripts/fmt.sh
rust-analyzer: build
	scripts/rust-analyzer.sh
clean:
	[ ! -d build/kdir ] || $(MAKE) -s -C build/kdir M=$(CURDIR)/modules clean
	[ ! -d build/kdir ] || $(MAKE) -s -C build/kdir M=$(CURDIR)/bench/modules clean
	rm -rf build target
