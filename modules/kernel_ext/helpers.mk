# SPDX-License-Identifier: GPL-2.0
#
# The C helpers of kernel_ext/ (wrappers for inline functions and macros), a topic per file of
# helpers/ (helpers.h lists them). Modules are linked with `ld -r`, which keeps every function of
# a linked file: each Rust module links only the topics whose functions it calls, its own copy of
# them (Kbuild warns when one object goes into several modules). A missing topic shows at modpost
# as an undefined dw_* symbol, an extra one in scripts/lint.sh (`scripts/helpers-check.sh`). The
# lists are what each module calls on the test kernel (lockdep, DEBUG_ATOMIC_SLEEP, debugobjects);
# the bench kernel leaves out such a call and its function alike (the same #ifdef), so a file may
# compile to nothing there.
# Included by the Kbuild of modules/ and bench/modules/ after their `rust-modules` list, and by
# the student trees' (`make skels`), which link every topic (skels/src/main.rs says why); one in
# another folder sets `kernel-ext` to this folder first.
kernel-ext ?= $(src)/kernel_ext
dw_timer-helpers := bh_disabled timer timer_init
dw_periodic_timer-helpers := bh_disabled timer timer_init
dw_deferred-helpers := atomic_sections bh_disabled lock_bh timer timer_init work
dw_workqueue-helpers := atomic_sections bh_disabled lock_bh timer timer_init work
dw_procmon-helpers := atomic_sections bh_disabled lock_bh timer timer_init work
dw_kthread-helpers := atomic_sections in_task may_sleep
dw_kthread_events-helpers := atomic_sections bh_disabled in_task lock_bh may_sleep timer timer_init
dw_tasklet-helpers := atomic_sections bh bh_disabled lock_bh may_sleep tasklet
dw_wq_toolbox-helpers := atomic_sections may_sleep timer_init work
dw_kunit-helpers := atomic_sections bh bh_disabled condvar_bh in_task lock_bh may_sleep tasklet \
		    timer timer_init work
dw_misuse-helpers := atomic_sections bh bh_disabled in_task lock_bh may_sleep timer timer_init work
dw_bench-helpers := atomic_sections bh_disabled in_task may_sleep timer timer_init work

helper-topics := atomic_sections bh bh_disabled condvar_bh in_task lock_bh may_sleep tasklet \
		 timer timer_init work
# $(call link-helpers,MODULE,TOPICS): MODULE links its own copy of each of TOPICS.
link-helpers = $(foreach h,$(2),$(eval $(1)-y += kernel_ext/helpers/$(h)-$(1).o))
$(foreach m,$(rust-modules),$(call link-helpers,$(m),$($(m)-helpers)))
$(foreach h,$(helper-topics),$(eval \
$$(obj)/kernel_ext/helpers/$(h)-%.o: $$(kernel-ext)/helpers/$(h).c FORCE ; \
	$$(call if_changed_rule,cc_o_c)))
