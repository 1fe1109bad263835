// iommufd-ops: run a neutral list of iommufd operations against a real kernel
// (/dev/iommu with CONFIG_IOMMUFD_TEST) and print each result, so that scenario
// files can be ground-truthed on the real kernel and compared with the emulator.
//
// Line syntax:   [name =] op ARG... key=value...
// Values:        decimal or 0x hex; $name (a value captured earlier); va+OFF (an
//                address inside a 1 GiB-aligned test buffer at VA_BASE); flag lists A|B.
// Output:        one line per op: "<line>: <op> ok k=v ..." or "<line>: <op> err ENAME".
// A captured name takes the op's first output value (an id or an iova); mock_domain
// also sets NAME_hwpt and NAME_idev.
//
// The project's copy (iommufd-sim tools/kernel-oracle) adds to ../shared/oracle/iommufd-ops.c:
// fault_alloc, veventq_alloc (7.x headers) and fd_close (the queues' fds), and data_uptr= on
// hwpt_invalidate/viommu_invalidate; the shared ops print exactly as there.
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include "iommufd_test.h"

#define VA_BASE 0x400000000000ULL
#define VA_SIZE (256ULL << 20)

static int fds[8], cur;
// fault_alloc and veventq_alloc keep each object's fd open (it holds a reference on the
// object) until fd_close: by context slot and object ID
static struct { int slot; uint32_t id; int fd; } qfds[64];
static int nqfds;

static void keepfd(uint32_t id, int fd)
{
	if (nqfds < 64) { qfds[nqfds].slot = cur; qfds[nqfds].id = id; qfds[nqfds++].fd = fd; }
}
static struct { char name[64]; uint64_t v; } vars[512];
static int nvars;
static int lineno;

static const char *errname(int e)
{
	switch (e) {
	case EPERM: return "EPERM"; case ENOENT: return "ENOENT"; case EIO: return "EIO";
	case E2BIG: return "E2BIG"; case EBADF: return "EBADF"; case ENOMEM: return "ENOMEM";
	case EFAULT: return "EFAULT"; case EBUSY: return "EBUSY"; case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV"; case EINVAL: return "EINVAL"; case ENOSPC: return "ENOSPC";
	case ERANGE: return "ERANGE"; case ENOTTY: return "ENOTTY"; case EOVERFLOW: return "EOVERFLOW";
	case EOPNOTSUPP: return "EOPNOTSUPP"; case EADDRINUSE: return "EADDRINUSE";
	case ENXIO: return "ENXIO"; case EAGAIN: return "EAGAIN"; case EMSGSIZE: return "EMSGSIZE";
	default: { static char b[32]; snprintf(b, sizeof b, "E%d", e); return b; }
	}
}

static void setvar(const char *n, uint64_t v)
{
	for (int i = 0; i < nvars; i++)
		if (!strcmp(vars[i].name, n)) { vars[i].v = v; return; }
	snprintf(vars[nvars].name, sizeof vars[0].name, "%s", n);
	vars[nvars++].v = v;
}

static const struct { const char *n; uint64_t v; } names[] = {
	{"FIXED_IOVA", IOMMU_IOAS_MAP_FIXED_IOVA}, {"WRITEABLE", IOMMU_IOAS_MAP_WRITEABLE},
	{"READABLE", IOMMU_IOAS_MAP_READABLE},
	{"NEST_PARENT", IOMMU_HWPT_ALLOC_NEST_PARENT}, {"DIRTY_TRACKING", IOMMU_HWPT_ALLOC_DIRTY_TRACKING},
	// mock device flags by value, so one source builds against 6.12 and newer headers:
	// HUGE_IOVA (bit 1) exists up to 6.18, PASID (bit 2) from 6.15
	{"NO_DIRTY", 1 << 0}, {"HUGE_IOVA", 1 << 1}, {"PASID", 1 << 2},
	{"ALLOC_PASID", 1 << 3},	/* IOMMU_HWPT_ALLOC_PASID (6.15+) */
	{"RLIMIT_MODE", IOMMU_OPTION_RLIMIT_MODE}, {"HUGE_PAGES", IOMMU_OPTION_HUGE_PAGES},
	{"SET", IOMMU_OPTION_OP_SET}, {"GET", IOMMU_OPTION_OP_GET},
	{"FAULT_ID_VALID", IOMMU_HWPT_FAULT_ID_VALID}, {"NONE", 0},
};

static uint64_t val(const char *s)
{
	uint64_t r = 0;
	char buf[256];
	snprintf(buf, sizeof buf, "%s", s);
	for (char *tok = strtok(buf, "|"); tok; tok = strtok(NULL, "|")) {
		uint64_t v = 0;
		if (tok[0] == '$') {
			int i;
			for (i = 0; i < nvars && strcmp(vars[i].name, tok + 1); i++);
			if (i == nvars) { fprintf(stderr, "%d: unknown $%s\n", lineno, tok + 1); exit(2); }
			v = vars[i].v;
		} else if (!strncmp(tok, "va+", 3)) {
			v = VA_BASE + strtoull(tok + 3, NULL, 0);
		} else if (!strcmp(tok, "va")) {
			v = VA_BASE;
		} else if (isdigit((unsigned char)tok[0]) || tok[0] == '-') {
			v = strtoull(tok, NULL, 0);
		} else {
			unsigned i;
			for (i = 0; i < sizeof names / sizeof names[0] && strcmp(names[i].n, tok); i++);
			if (i == sizeof names / sizeof names[0]) { fprintf(stderr, "%d: unknown word %s\n", lineno, tok); exit(2); }
			v = names[i].v;
		}
		r |= v;
	}
	return r;
}

// key=value lookup among the tokens; returns 1 and sets *out when present.
static int kv(int n, char **t, const char *key, uint64_t *out)
{
	size_t k = strlen(key);
	for (int i = 0; i < n; i++)
		if (!strncmp(t[i], key, k) && t[i][k] == '=') { *out = val(t[i] + k + 1); return 1; }
	return 0;
}

static int pos(int n, char **t, int want, uint64_t *out)
{
	int seen = 0;
	for (int i = 0; i < n; i++) {
		if (strchr(t[i], '=')) continue;
		if (seen++ == want) { *out = val(t[i]); return 1; }
	}
	return 0;
}

#define P(i) ({ uint64_t _v = 0; if (!pos(n, t, i, &_v)) { fprintf(stderr, "%d: missing argument %d\n", lineno, i + 1); exit(2); } _v; })

static int io(unsigned long cmd, void *arg)
{
	return ioctl(fds[cur], cmd, arg) ? errno : 0;
}

static int test_cmd(struct iommu_test_cmd *c)
{
	c->size = sizeof(*c);
	return io(IOMMU_TEST_CMD, c);
}

static void run(const char *op, int n, char **t, const char *capture)
{
	char out[4096] = "";
	uint64_t first = 0, x = 0;
	int e = 0;
#define OUT(...) snprintf(out + strlen(out), sizeof out - strlen(out), __VA_ARGS__)

	if (!strcmp(op, "ioas_alloc")) {
		struct iommu_ioas_alloc c = { .size = sizeof c };
		if (!(e = io(IOMMU_IOAS_ALLOC, &c))) { first = c.out_ioas_id; OUT(" id=%u", c.out_ioas_id); }
	} else if (!strcmp(op, "destroy")) {
		struct iommu_destroy c = { .size = sizeof c, .id = P(0) };
		e = io(IOMMU_DESTROY, &c);
	} else if (!strcmp(op, "ioas_map")) {
		// ioas_map IOAS VA LENGTH [iova=] [flags=]
		struct iommu_ioas_map c = { .size = sizeof c, .ioas_id = P(0), .user_va = P(1), .length = P(2),
			.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE };
		if (kv(n, t, "iova", &x)) { c.iova = x; c.flags |= IOMMU_IOAS_MAP_FIXED_IOVA; }
		if (kv(n, t, "flags", &x)) c.flags = x;
		if (!(e = io(IOMMU_IOAS_MAP, &c))) { first = c.iova; OUT(" iova=0x%llx", (unsigned long long)c.iova); }
	} else if (!strcmp(op, "ioas_unmap")) {
		struct iommu_ioas_unmap c = { .size = sizeof c, .ioas_id = P(0), .iova = P(1), .length = P(2) };
		e = io(IOMMU_IOAS_UNMAP, &c);
		first = c.length;
		OUT(" length=0x%llx", (unsigned long long)c.length);
	} else if (!strcmp(op, "ioas_copy")) {
		// ioas_copy DST SRC SRC_IOVA LENGTH [dst_iova=] [flags=]
		struct iommu_ioas_copy c = { .size = sizeof c, .dst_ioas_id = P(0), .src_ioas_id = P(1),
			.src_iova = P(2), .length = P(3), .flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE };
		if (kv(n, t, "dst_iova", &x)) { c.dst_iova = x; c.flags |= IOMMU_IOAS_MAP_FIXED_IOVA; }
		if (kv(n, t, "flags", &x)) c.flags = x;
		if (!(e = io(IOMMU_IOAS_COPY, &c))) { first = c.dst_iova; OUT(" dst_iova=0x%llx", (unsigned long long)c.dst_iova); }
	} else if (!strcmp(op, "ioas_iova_ranges")) {
		static struct iommu_iova_range r[1024];
		unsigned cap = 64;
		if (kv(n, t, "num_iovas", &x)) cap = x > 1024 ? 1024 : x;
		struct iommu_ioas_iova_ranges c = { .size = sizeof c, .ioas_id = P(0), .num_iovas = cap,
			.allowed_iovas = (uintptr_t)r };
		e = io(IOMMU_IOAS_IOVA_RANGES, &c);
		first = c.num_iovas;
		OUT(" num_iovas=%u", c.num_iovas);
		if (!e || e == EMSGSIZE) {
			OUT(" alignment=0x%llx ranges=", (unsigned long long)c.out_iova_alignment);
			for (unsigned i = 0; i < c.num_iovas && i < cap; i++)
				OUT("%s0x%llx-0x%llx", i ? "," : "", (unsigned long long)r[i].start, (unsigned long long)r[i].last);
		}
	} else if (!strcmp(op, "ioas_allow_iovas")) {
		// ioas_allow_iovas IOAS START-LAST...
		struct iommu_iova_range r[64];
		unsigned k = 0;
		for (int i = 1; i < n && k < 64; i++) {
			char *d = strchr(t[i], '-');
			if (!d) continue;
			*d = 0; r[k].start = val(t[i]); r[k].last = val(d + 1); *d = '-'; k++;
		}
		struct iommu_ioas_allow_iovas c = { .size = sizeof c, .ioas_id = P(0), .num_iovas = k,
			.allowed_iovas = (uintptr_t)r };
		e = io(IOMMU_IOAS_ALLOW_IOVAS, &c);
	} else if (!strcmp(op, "option")) {
		// option OPTION_ID SET|GET OBJECT [VAL]
		struct iommu_option c = { .size = sizeof c, .option_id = P(0), .op = P(1), .object_id = P(2) };
		if (c.op == IOMMU_OPTION_OP_SET) c.val64 = P(3);
		if (!(e = io(IOMMU_OPTION, &c))) { first = c.val64; OUT(" val64=%llu", (unsigned long long)c.val64); }
	} else if (!strcmp(op, "mock_domain") || !strcmp(op, "mock_domain_flags")) {
		// mock_domain PT [dev_flags=]
		struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN, .id = P(0) };
		if (kv(n, t, "dev_flags", &x) || !strcmp(op, "mock_domain_flags")) {
			c.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS;
			c.mock_domain_flags.dev_flags = x;
		}
		if (!(e = test_cmd(&c))) {
			first = c.mock_domain.out_stdev_id;
			if (capture) {
				char b[80];
				snprintf(b, sizeof b, "%s_hwpt", capture); setvar(b, c.mock_domain.out_hwpt_id);
				snprintf(b, sizeof b, "%s_idev", capture); setvar(b, c.mock_domain.out_idev_id);
			}
			OUT(" stdev=%u hwpt=%u idev=%u", c.mock_domain.out_stdev_id, c.mock_domain.out_hwpt_id,
			    c.mock_domain.out_idev_id);
		}
	} else if (!strcmp(op, "mock_domain_replace")) {
		// mock_domain_replace STDEV PT
		struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = P(0) };
		c.mock_domain_replace.pt_id = P(1);
		if (!(e = test_cmd(&c))) { first = c.mock_domain_replace.pt_id; OUT(" pt_id=%u", c.mock_domain_replace.pt_id); }
	} else if (!strcmp(op, "add_reserved")) {
		// add_reserved IOAS START LENGTH
		struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_ADD_RESERVED, .id = P(0) };
		c.add_reserved.start = P(1);
		c.add_reserved.length = P(2);
		e = test_cmd(&c);
	} else if (!strcmp(op, "check_refs")) {
		// check_refs VA LENGTH REFS
		struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MD_CHECK_REFS };
		c.check_refs.uptr = P(0); c.check_refs.length = P(1); c.check_refs.refs = P(2);
		e = test_cmd(&c);
	} else if (!strcmp(op, "check_map")) {
		// check_map HWPT IOVA LENGTH VA
		struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MD_CHECK_MAP, .id = P(0) };
		c.check_map.iova = P(1); c.check_map.length = P(2); c.check_map.uptr = P(3);
		e = test_cmd(&c);
	} else if (!strcmp(op, "hwpt_alloc")) {
		// hwpt_alloc DEV PT [flags=] [iotlb=V (selftest data)] [data_type=] [data_len=]
		union { struct iommu_hwpt_selftest d; unsigned char raw[64]; } d = { .d.iotlb = IOMMU_TEST_IOTLB_DEFAULT };
		struct iommu_hwpt_alloc c = { .size = sizeof c, .dev_id = P(0), .pt_id = P(1) };
		if (kv(n, t, "fault_id", &x)) { c.fault_id = x; c.flags |= IOMMU_HWPT_FAULT_ID_VALID; }
		if (kv(n, t, "flags", &x)) c.flags = x;
		// data_len 4 (up to iotlb): the first version of the struct, valid on 6.12 and 7.2
		if (kv(n, t, "iotlb", &x)) { d.d.iotlb = x; c.data_type = IOMMU_HWPT_DATA_SELFTEST; c.data_len = 4; c.data_uptr = (uintptr_t)&d; }
		if (kv(n, t, "data_type", &x)) { c.data_type = x; c.data_len = 4; c.data_uptr = (uintptr_t)&d; }
		// pagetable_type=N (7.2 mock paging domains): selftest data {iotlb, pagetable_type}
		if (kv(n, t, "pagetable_type", &x)) { uint32_t v = x; memcpy(d.raw + 4, &v, 4); c.data_type = IOMMU_HWPT_DATA_SELFTEST; c.data_len = 8; c.data_uptr = (uintptr_t)&d; }
		if (kv(n, t, "data_len", &x)) c.data_len = x > sizeof d ? sizeof d : x;
		if (!(e = io(IOMMU_HWPT_ALLOC, &c))) { first = c.out_hwpt_id; OUT(" id=%u", c.out_hwpt_id); }
	} else if (!strcmp(op, "hwpt_invalidate")) {
		// hwpt_invalidate HWPT [all] | [iotlb_id=N] [data_type=] [entry_len=] [entry_num=] [data_uptr=]
		// entries: "all" or iotlb_id=N gives one entry; entries=SPEC,SPEC,... several, each
		// SPEC "all" or an iotlb id, optionally ":FLAGS" (raw flags word)
		struct iommu_hwpt_invalidate_selftest d[16] = { 0 };
		struct iommu_hwpt_invalidate c = { .size = sizeof c, .hwpt_id = P(0),
			.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, .entry_len = sizeof d[0], .entry_num = 1,
			.data_uptr = (uintptr_t)d };
		for (int i = 0; i < n; i++) if (!strcmp(t[i], "all")) d[0].flags = IOMMU_TEST_INVALIDATE_FLAG_ALL;
		if (kv(n, t, "iotlb_id", &x)) d[0].iotlb_id = x;
		for (int i = 0; i < n; i++) if (!strncmp(t[i], "entries=", 8)) {
			char b[256]; unsigned k = 0;
			snprintf(b, sizeof b, "%s", t[i] + 8);
			for (char *sp, *q = strtok_r(b, ",", &sp); q && k < 16; q = strtok_r(NULL, ",", &sp), k++) {
				char *colon = strchr(q, ':');
				if (colon) { *colon = 0; d[k].flags = strtoul(colon + 1, NULL, 0); }
				if (!strcmp(q, "all")) d[k].flags |= IOMMU_TEST_INVALIDATE_FLAG_ALL; else d[k].iotlb_id = strtoul(q, NULL, 0);
			}
			c.entry_num = k;
		}
		if (kv(n, t, "data_type", &x)) c.data_type = x;
		if (kv(n, t, "entry_len", &x)) c.entry_len = x;
		if (kv(n, t, "entry_num", &x)) c.entry_num = x > 16 ? 16 : x;
		if (c.entry_len > sizeof d[0] && c.entry_len * c.entry_num > sizeof d) c.entry_num = sizeof d / c.entry_len;
		if (kv(n, t, "data_uptr", &x)) c.data_uptr = x;	/* data_uptr=0: NULL */
		e = io(IOMMU_HWPT_INVALIDATE, &c);
		first = c.entry_num;
		OUT(" entry_num=%u", c.entry_num);
	} else if (!strcmp(op, "check_iotlb")) {
		// check_iotlb HWPT IOTLB_ID VALUE
		struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MD_CHECK_IOTLB, .id = P(0) };
		c.check_iotlb.id = P(1); c.check_iotlb.iotlb = P(2);
		e = test_cmd(&c);
	} else if (!strcmp(op, "get_hw_info")) {
		union { struct iommu_test_hw_info d; unsigned char raw[256]; } u = { 0 };
		struct iommu_test_hw_info d;
		struct iommu_hw_info c = { .size = sizeof c, .dev_id = P(0), .data_len = sizeof d, .data_uptr = (uintptr_t)&u };
		if (kv(n, t, "data_len", &x)) c.data_len = x > sizeof u ? sizeof u : x;
		e = io(IOMMU_GET_HW_INFO, &c);
		d = u.d;
		if (!e) {
			first = c.out_data_type;
			OUT(" type=0x%x data_len=%u flags=0x%x test_reg=0x%x capabilities=0x%llx max_pasid_log2=%u", c.out_data_type,
			    c.data_len, d.flags, d.test_reg, (unsigned long long)c.out_capabilities, c.out_max_pasid_log2);
		}
	} else if (!strcmp(op, "set_dirty_tracking")) {
		struct iommu_hwpt_set_dirty_tracking c = { .size = sizeof c, .hwpt_id = P(0), .flags = P(1) };
		e = io(IOMMU_HWPT_SET_DIRTY_TRACKING, &c);
#ifdef IOMMU_VIOMMU_TYPE_SELFTEST	/* 7.x headers: vIOMMU, vDEVICE, PASID test ops */
	} else if (!strcmp(op, "viommu_alloc")) {
		// viommu_alloc DEV HWPT [type=] [in_data=] (type defaults to the selftest type)
		struct iommu_viommu_selftest d = { 0 };
		struct iommu_viommu_alloc c = { .size = sizeof c, .dev_id = P(0), .hwpt_id = P(1),
			.type = IOMMU_VIOMMU_TYPE_SELFTEST };
		if (kv(n, t, "type", &x)) c.type = x;
		if (kv(n, t, "in_data", &x)) { d.in_data = x; c.data_len = sizeof d; c.data_uptr = (uintptr_t)&d; }
		if (kv(n, t, "flags", &x)) c.flags = x;
		if (!(e = io(IOMMU_VIOMMU_ALLOC, &c))) {
			first = c.out_viommu_id;
			OUT(" id=%u", c.out_viommu_id);
			if (c.data_len) OUT(" out_data=0x%x", d.out_data);
		}
	} else if (!strcmp(op, "vdevice_alloc")) {
		// vdevice_alloc VIOMMU DEV VIRT_ID
		struct iommu_vdevice_alloc c = { .size = sizeof c, .viommu_id = P(0), .dev_id = P(1), .virt_id = P(2) };
		if (!(e = io(IOMMU_VDEVICE_ALLOC, &c))) { first = c.out_vdevice_id; OUT(" id=%u", c.out_vdevice_id); }
	} else if (!strcmp(op, "viommu_invalidate")) {
		// viommu_invalidate VIOMMU entries=VDEV/CACHE,... (CACHE "all" sets the ALL flag) [data_type=] [entry_len=] [data_uptr=]
		struct iommu_viommu_invalidate_selftest d[16] = { 0 };
		struct iommu_hwpt_invalidate c = { .size = sizeof c, .hwpt_id = P(0),
			.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, .entry_len = sizeof d[0], .entry_num = 0,
			.data_uptr = (uintptr_t)d };
		for (int i = 0; i < n; i++) if (!strncmp(t[i], "entries=", 8)) {
			char b[256]; unsigned k = 0;
			snprintf(b, sizeof b, "%s", t[i] + 8);
			for (char *sp, *q = strtok_r(b, ",", &sp); q && k < 16; q = strtok_r(NULL, ",", &sp), k++) {
				char *sl = strchr(q, '/');
				if (sl) { *sl = 0; if (!strcmp(sl + 1, "all")) d[k].flags = IOMMU_TEST_INVALIDATE_FLAG_ALL;
					  else d[k].cache_id = strtoul(sl + 1, NULL, 0); }
				d[k].vdev_id = strtoul(q, NULL, 0);
			}
			c.entry_num = k;
		}
		if (kv(n, t, "data_type", &x)) c.data_type = x;
		if (kv(n, t, "entry_len", &x)) c.entry_len = x;
		if (c.entry_len * c.entry_num > sizeof d) c.entry_num = sizeof d / c.entry_len;
		if (kv(n, t, "data_uptr", &x)) c.data_uptr = x;	/* data_uptr=0: NULL */
		e = io(IOMMU_HWPT_INVALIDATE, &c);
		first = c.entry_num;
		OUT(" entry_num=%u", c.entry_num);
	} else if (!strcmp(op, "veventq_alloc")) {
		// veventq_alloc VIOMMU [type= default selftest 0xbeefbeef] [depth= default 2] [flags=]
		// (IOMMU_VEVENTQ_ALLOC): prints the vEVENTQ's ID; its fd stays open until fd_close
		struct iommu_veventq_alloc c = { .size = sizeof c, .viommu_id = P(0), .type = IOMMU_VEVENTQ_TYPE_SELFTEST,
			.veventq_depth = 2 };
		if (kv(n, t, "type", &x)) c.type = x;
		if (kv(n, t, "depth", &x)) c.veventq_depth = x;
		if (kv(n, t, "flags", &x)) c.flags = x;
		if (!(e = io(IOMMU_VEVENTQ_ALLOC, &c))) {
			first = c.out_veventq_id;
			OUT(" id=%u", c.out_veventq_id);
			keepfd(c.out_veventq_id, c.out_veventq_fd);
		}
	} else if (!strcmp(op, "check_dev_cache")) {
		// check_dev_cache IDEV CACHE_ID VALUE (IOMMU_TEST_OP_DEV_CHECK_CACHE)
		struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DEV_CHECK_CACHE, .id = P(0) };
		c.check_dev_cache.id = P(1); c.check_dev_cache.cache = P(2);
		e = test_cmd(&c);
	} else if (!strcmp(op, "pasid_attach") || !strcmp(op, "pasid_replace")) {
		// pasid_attach STDEV PASID PT
		struct iommu_test_cmd c = { .op = strcmp(op, "pasid_attach") ? IOMMU_TEST_OP_PASID_REPLACE : IOMMU_TEST_OP_PASID_ATTACH, .id = P(0) };
		c.pasid_attach.pasid = P(1); c.pasid_attach.pt_id = P(2);
		e = test_cmd(&c);
	} else if (!strcmp(op, "pasid_detach")) {
		struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_PASID_DETACH, .id = P(0) };
		c.pasid_detach.pasid = P(1);
		e = test_cmd(&c);
	} else if (!strcmp(op, "pasid_check")) {
		// pasid_check STDEV PASID HWPT (0 = none attached)
		struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_PASID_CHECK_HWPT, .id = P(0) };
		c.pasid_check.pasid = P(1); c.pasid_check.hwpt_id = P(2);
		e = test_cmd(&c);
#endif
	} else if (!strcmp(op, "fault_alloc")) {
		// fault_alloc [flags=] (IOMMU_FAULT_QUEUE_ALLOC): prints the FAULT object's ID; its fd
		// stays open (holding a reference on the object) until fd_close
		struct iommu_fault_alloc c = { .size = sizeof c };
		if (kv(n, t, "flags", &x)) c.flags = x;
		if (!(e = io(IOMMU_FAULT_QUEUE_ALLOC, &c))) {
			first = c.out_fault_id;
			OUT(" id=%u", c.out_fault_id);
			keepfd(c.out_fault_id, c.out_fault_fd);
		}
	} else if (!strcmp(op, "fd_close")) {
		// fd_close ID: close the fd fault_alloc/veventq_alloc got for object ID in the current
		// context slot (the latest one still open); EBADF when there is none
		uint32_t id = P(0);
		int k;
		for (k = nqfds - 1; k >= 0 && (qfds[k].slot != cur || qfds[k].id != id || qfds[k].fd < 0); k--);
		if (k < 0) e = EBADF; else { close(qfds[k].fd); qfds[k].fd = -1; }
	} else if (!strcmp(op, "open")) {
		int k;
		for (k = 0; k < 8 && fds[k] >= 0; k++);
		fds[k] = open("/dev/iommu", O_RDWR);
		if (fds[k] < 0) e = errno; else { first = k; cur = k; OUT(" ctx=%d", k); }
	} else if (!strcmp(op, "use")) {
		cur = P(0);
	} else if (!strcmp(op, "close")) {
		int k = P(0);
		close(fds[k]); fds[k] = -1;
	} else {
		fprintf(stderr, "%d: unknown op %s\n", lineno, op);
		exit(2);
	}
	if (e) printf("%d: %s err %s%s\n", lineno, op, errname(e), out);
	else printf("%d: %s ok%s\n", lineno, op, out);
	if (capture && !e) setvar(capture, first);
}

int main(int argc, char **argv)
{
	FILE *f = argc > 1 ? fopen(argv[1], "r") : stdin;
	char line[1024];
	if (!f) { perror(argv[1]); return 2; }
	for (int i = 0; i < 8; i++) fds[i] = -1;
	if (mmap((void *)VA_BASE, VA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE
		 | MAP_POPULATE, -1, 0) != (void *)VA_BASE) { perror("mmap"); return 2; }
	fds[0] = open("/dev/iommu", O_RDWR);
	if (fds[0] < 0) { perror("/dev/iommu"); return 2; }
	while (fgets(line, sizeof line, f)) {
		char *t[32], *capture = NULL, *s;
		int n = 0;
		lineno++;
		if ((s = strchr(line, '#'))) *s = 0;
		for (s = strtok(line, " \t\n"); s && n < 32; s = strtok(NULL, " \t\n")) t[n++] = s;
		if (!n) continue;
		if (n > 2 && !strcmp(t[1], "=")) { capture = t[0]; memmove(t, t + 2, (n - 2) * sizeof *t); n -= 2; }
		const char *undef = NULL;
		for (int i = 1; i < n && !undef; i++)
			for (char *d = strchr(t[i], '$'); d && !undef; d = strchr(d + 1, '$')) {
				int k, len = strcspn(d + 1, "|-");
				for (k = 0; k < nvars && (strlen(vars[k].name) != (size_t)len || strncmp(vars[k].name, d + 1, len)); k++);
				if (k == nvars) undef = d;
			}
		if (undef) { printf("%d: %s skipped (undefined %s)\n", lineno, t[0], undef); continue; }
		run(t[0], n - 1, t + 1, capture);
		fflush(stdout);
	}
	return 0;
}
