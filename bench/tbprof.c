// SPDX-License-Identifier: GPL-2.0
/*
 * tbprof: a QEMU TCG plugin that counts the guest instructions executed in the kernel, by
 * translation block. At exit it writes `<address> <instructions> <executions>` lines, one per
 * block that ran, to the file of its `out=` argument. `make bench ARGS='--mode loader'` boots
 * the guest with it (qemu/boot.sh, DW_PLUGIN) and names each block's function from System.map.
 *
 * Built with the host's C compiler: the few declarations it needs from QEMU's qemu-plugin.h
 * (API version 2 and later) are below, as Debian ships no header.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
typedef struct qemu_info_t qemu_info_t;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   void (*cb)(qemu_plugin_id_t, struct qemu_plugin_tb *));
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
					  void (*cb)(unsigned int vcpu, void *userdata),
					  enum qemu_plugin_cb_flags flags, void *userdata);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, void (*cb)(qemu_plugin_id_t, void *),
				    void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 2;

/* The kernel's half of x86_64's address space. */
#define KERNEL_START 0xffff800000000000ull

/* One translation of a block (a block translated again gets another). */
struct block {
	uint64_t address, instructions, executions;
	struct block *next;
};

static struct block *blocks;
static const char *out = "tbprof.out";

static void executed(unsigned int vcpu, void *userdata)
{
	((struct block *)userdata)->executions++;
}

static void translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	struct block *b;

	if (qemu_plugin_tb_vaddr(tb) < KERNEL_START)
		return;
	b = calloc(1, sizeof(*b));
	if (!b)
		abort();
	b->address = qemu_plugin_tb_vaddr(tb);
	b->instructions = qemu_plugin_tb_n_insns(tb);
	b->next = blocks;
	blocks = b;
	qemu_plugin_register_vcpu_tb_exec_cb(tb, executed, QEMU_PLUGIN_CB_NO_REGS, b);
}

static void write_counts(qemu_plugin_id_t id, void *userdata)
{
	FILE *f = fopen(out, "w");

	if (!f) {
		perror(out);
		return;
	}
	for (struct block *b = blocks; b; b = b->next)
		if (b->executions)
			fprintf(f, "%016llx %llu %llu\n", (unsigned long long)b->address,
				(unsigned long long)b->instructions,
				(unsigned long long)b->executions);
	fclose(f);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id,
							       const qemu_info_t *info,
							       int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (!strncmp(argv[i], "out=", 4))
			out = argv[i] + 4;
	qemu_plugin_register_vcpu_tb_trans_cb(id, translated);
	qemu_plugin_register_atexit_cb(id, write_counts, NULL);
	return 0;
}
