// SPDX-License-Identifier: GPL-2.0
/*
 * Prints the host's TSC rate in kHz, measured over 200 ms against CLOCK_MONOTONIC_RAW. Under
 * TCG on the host's clock, the guest's TSC is the host's (QEMU reads it with rdtsc), and on
 * microvm the kernel has nothing to calibrate it against: qemu/boot.sh passes this as
 * tsc_early_khz.
 */
#include <stdio.h>
#include <time.h>
#include <x86intrin.h>

static double seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC_RAW, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(void)
{
	const struct timespec interval = { .tv_nsec = 200000000 };
	double start = seconds();
	unsigned long long ticks = __rdtsc();

	nanosleep(&interval, NULL);
	ticks = __rdtsc() - ticks;
	printf("%.0f\n", ticks / (seconds() - start) / 1000);
	return 0;
}
