/*
 * memlat: the memory latency figures behind bench/README.md ("The memory wall").
 *
 *   cc -O2 -o /tmp/memlat bench/probes/memlat.c && /tmp/memlat
 *
 * Part 1, "chase": one dependent load after another at random cache lines of a working set
 * of each size (a pointer chase, so no two loads overlap): the latency of a random read that
 * hits L1, L2, L3 or memory. Part 2, "pair": a random line of a small array A (a B+tree's
 * inner level) and then a random line of a 37 MiB array B (its leaves, as with a million
 * areas), each load depending on the one before: what reading the small array costs while
 * the big one streams through the caches. Both with 4 KiB pages and with transparent huge
 * pages (madvise).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* bytes of memory aligned to 2 MiB, filled, huge pages advised when asked */
static char *region(size_t bytes, int huge)
{
	char *p = aligned_alloc(2 << 20, (bytes + (2 << 20) - 1) & ~(size_t)((2 << 20) - 1));

	if (!p) {
		perror("aligned_alloc");
		exit(1);
	}
	if (huge)
		madvise(p, bytes, MADV_HUGEPAGE);
	for (size_t i = 0; i < bytes; i += 8)
		*(uint64_t *)(p + i) = i;
	return p;
}

static double chase(size_t bytes, int huge)
{
	size_t lines = bytes / 64;
	char *mem = region(bytes, huge);
	size_t *order = malloc(lines * sizeof(*order));
	long steps = 20000000;
	void *p;
	double t0;

	for (size_t i = 0; i < lines; i++)
		order[i] = i;
	for (size_t i = lines - 1; i > 0; i--) {
		size_t j = next_random() % (i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (size_t i = 0; i < lines; i++)
		*(void **)(mem + order[i] * 64) = mem + order[(i + 1) % lines] * 64;
	p = mem + order[0] * 64;
	for (long i = 0; i < 1000000; i++)
		p = *(void **)p;
	t0 = now();
	for (long i = 0; i < steps; i++)
		p = *(void **)p;
	t0 = (now() - t0) / steps * 1e9;
	free(order);
	free(mem);
	return p ? t0 : -t0;
}

/* mode 0: A only, 1: B only, 2: A then B */
static double pair(const char *a, size_t asz, const char *b, size_t bsz, int mode)
{
	long steps = 4000000;
	uint64_t s = 0;
	double t0 = now();

	for (long i = 0; i < steps; i++) {
		uint64_t r = next_random() ^ (s & 0x8000000000000000ULL);

		if (mode != 1)
			s += *(volatile const uint64_t *)(a + (r >> 20) % (asz / 64) * 64 + (s & 7) * 8 % 64);
		if (mode != 0)
			s += *(volatile const uint64_t *)(b + r % (bsz / 64) * 64 + (s & 7) * 8 % 64);
	}
	t0 = (now() - t0) / steps * 1e9;
	return s == 42 ? -t0 : t0;
}

int main(void)
{
	static const size_t kib[] = { 64, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536 };
	static const size_t small_kib[] = { 128, 256, 512, 1024, 2048 };
	size_t bsz = (size_t)37 << 20;

	printf("chase: ns per dependent random read, by working set\n");
	printf("%10s %10s %10s\n", "KiB", "4K pages", "THP");
	for (size_t i = 0; i < sizeof(kib) / sizeof(kib[0]); i++)
		printf("%10zu %10.1f %10.1f\n", kib[i], chase(kib[i] << 10, 0), chase(kib[i] << 10, 1));
	for (int huge = 0; huge <= 1; huge++) {
		char *b = region(bsz, huge);

		printf("\npair (%s): ns per step, a random line of A then one of B (37 MiB)\n",
		       huge ? "THP" : "4K pages");
		printf("%10s %10s %10s %10s\n", "A KiB", "A only", "B only", "A then B");
		for (size_t i = 0; i < sizeof(small_kib) / sizeof(small_kib[0]); i++) {
			size_t asz = small_kib[i] << 10;
			char *a = region(asz, huge);

			printf("%10zu %10.1f %10.1f %10.1f\n", small_kib[i], pair(a, asz, b, bsz, 0),
			       pair(a, asz, b, bsz, 1), pair(a, asz, b, bsz, 2));
			free(a);
		}
		free(b);
	}
	return 0;
}
