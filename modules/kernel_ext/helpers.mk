# SPDX-License-Identifier: GPL-2.0
#
# The C helpers of kernel_ext/ (wrappers for inline functions and macros), by topic: each Rust
# module links its own copy of the topics it uses (Kbuild warns when one object goes into several
# modules), and nothing more. A missing topic shows at modpost as an undefined dw_* symbol.
# Included by the Kbuild of modules/, bench/modules/ and the student trees (`make skels`), after
# their `rust-modules` or `lab-modules` list; one in another folder sets `kernel-ext` to this
# folder first.
kernel-ext ?= $(src)/kernel_ext
dw_timer-helpers := context timer
dw_periodic_timer-helpers := context timer
dw_deferred-helpers := bh context timer
dw_workqueue-helpers := bh context timer
dw_procmon-helpers := bh context timer
dw_kthread-helpers := context
dw_kthread_events-helpers := bh context timer
dw_tasklet-helpers := bh context tasklet
dw_wq_toolbox-helpers := context timer
dw_kunit-helpers := bh context tasklet timer
dw_misuse-helpers := bh context timer
dw_bench-helpers := context timer

helper-topics := bh context tasklet timer
$(foreach m,$(rust-modules) $(lab-modules),$(foreach h,$($(m)-helpers),$(eval $(m)-y += kernel_ext/helpers/$(h)-$(m).o)))
$(foreach h,$(helper-topics),$(eval \
$$(obj)/kernel_ext/helpers/$(h)-%.o: $$(kernel-ext)/helpers/$(h).c FORCE ; \
	$$(call if_changed_rule,cc_o_c)))
