// SPDX-License-Identifier: GPL-2.0
/*
 * softdirty_uffdwp: soft-dirty tracking across userfaultfd write-protect.
 *
 * Regression test for "mm/userfaultfd: rely on vma->vm_page_prot in
 * uffd_wp_range()" (mainline 931298e103c2, v6.3-rc1). Before it, un-protecting
 * (UFFDIO_WRITEPROTECT mode 0) or unregistering a uffd-wp range recomputed the
 * PTE protection from vm_get_page_prot(vm_flags), which for a shared mapping
 * is writable. That drops the write-notify soft-dirty tracking needs, so on
 * shmem the next write is not caught and the page stays soft-clean:
 *
 *   write; clear_refs 4; UFFDIO_REGISTER(WP); unregister (or wp + un-wp);
 *   write again  ->  pagemap bit 55 must be set.
 *
 * Expected: shmem cases fail on 5.19..6.2.y with CONFIG_MEM_SOFT_DIRTY=y and
 * pass from 6.3; private anonymous mappings (COW, never mapped writable by
 * vm_get_page_prot) pass everywhere and serve as controls.
 *
 * Build: gcc -static -O2 -Wall -Wextra -Werror -pthread \
 *            -o softdirty_uffdwp softdirty_uffdwp.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "ktap.h"

#define SELFTEST_VERSION 1

/* Fallbacks for uapi headers older than the running kernel. */
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW _IO(0xAA, 0x00)
#endif
#ifndef UFFD_FEATURE_PAGEFAULT_FLAG_WP
#define UFFD_FEATURE_PAGEFAULT_FLAG_WP (1 << 0)
#endif
#ifndef UFFD_FEATURE_WP_HUGETLBFS_SHMEM
#define UFFD_FEATURE_WP_HUGETLBFS_SHMEM (1 << 12)
#endif
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif
#ifndef UFFDIO_REGISTER_MODE_WP
#define UFFDIO_REGISTER_MODE_WP ((__u64)1 << 1)
#endif
#ifndef UFFDIO_WRITEPROTECT_MODE_WP
#define UFFDIO_WRITEPROTECT_MODE_WP ((__u64)1 << 0)
#endif
#ifndef UFFD_PAGEFAULT_FLAG_WP
#define UFFD_PAGEFAULT_FLAG_WP (1 << 1)
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif
#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE 14
#endif

#define PM_SOFT_DIRTY (1ULL << 55)
#define PM_PRESENT (1ULL << 63)

#define CASE_WATCHDOG_S 20
#define UFFD_MSG_TIMEOUT_MS 5000
#define WRITER_BLOCKED_CHECK_MS 50
#define FAULT_PAGES 64
#define THP_MAX_TESTED (32U << 20)

#define THP_ENABLED_PATH "/sys/kernel/mm/transparent_hugepage/enabled"
#define THP_PMD_SIZE_PATH "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size"

/* ------------------------------------------------------------------------ */
/* Environment, probed once before the cases run.                           */

enum probe_state { PROBE_OK, PROBE_SKIP, PROBE_ERROR };

enum uffd_method { UFFD_VIA_SYSCALL, UFFD_VIA_USER_MODE_ONLY, UFFD_VIA_DEVNODE };

static struct {
	size_t page;
	int pagemap_fd;

	enum probe_state softdirty;
	char softdirty_why[256];

	enum probe_state uffd;
	char uffd_why[256];
	enum uffd_method uffd_method;
	uint64_t uffd_features;
} env = { .pagemap_fd = -1 };

static const char *case_name = "(setup)";

#define diag(fmt, ...) ktap_diag("%s: " fmt, case_name, ##__VA_ARGS__)

/* Every case result goes through one of these, then jumps to cleanup. */
#define CASE_SKIP(fmt, ...)                                                  \
	do {                                                                 \
		snprintf(why, why_len, fmt, ##__VA_ARGS__);                  \
		res = KTAP_SKIP;                                             \
		goto out;                                                    \
	} while (0)
#define CASE_FAIL(fmt, ...)                                                  \
	do {                                                                 \
		diag(fmt, ##__VA_ARGS__);                                    \
		res = KTAP_FAIL;                                             \
		goto out;                                                    \
	} while (0)
#define CASE_FAIL_ERRNO(step)                                                \
	CASE_FAIL("%s: %s (errno %d)", step, strerror(errno), errno)

/* ------------------------------------------------------------------------ */
/* Watchdog: a wedged case must never hang the run.                         */

static char watchdog_msg[256];
static size_t watchdog_len;

static void watchdog_fire(int sig)
{
	ssize_t ignored;

	(void)sig;
	ignored = write(STDOUT_FILENO, watchdog_msg, watchdog_len);
	(void)ignored;
	_exit(KSFT_FAIL);
}

static void watchdog_arm(int n, const char *name)
{
	int len = snprintf(watchdog_msg, sizeof(watchdog_msg),
			   "# watchdog: case %d %s timed out after %d s\nBail out!\n",
			   n, name, CASE_WATCHDOG_S);

	watchdog_len = len < 0 ? 0 : (size_t)len;
	if (watchdog_len >= sizeof(watchdog_msg))
		watchdog_len = sizeof(watchdog_msg) - 1;
	alarm(CASE_WATCHDOG_S);
}

static void watchdog_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watchdog_fire;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
}

/* ------------------------------------------------------------------------ */
/* Small helpers.                                                           */

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static bool wait_flag(int *flag, long timeout_ms)
{
	for (long waited = 0; waited < timeout_ms; waited++) {
		if (__atomic_load_n(flag, __ATOMIC_ACQUIRE))
			return true;
		sleep_ms(1);
	}
	return __atomic_load_n(flag, __ATOMIC_ACQUIRE);
}

/* Read the first line of a small file; returns -1 with errno on failure. */
static int read_line(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int pagemap_entry(const void *addr, uint64_t *ent)
{
	off_t off = (off_t)((uintptr_t)addr / env.page) * (off_t)sizeof(*ent);
	ssize_t n = pread(env.pagemap_fd, ent, sizeof(*ent), off);

	if (n == (ssize_t)sizeof(*ent))
		return 0;
	if (n >= 0)
		errno = EIO;
	return -1;
}

/*
 * Deliberately no stdio here: nothing may be mapped between clearing
 * soft-dirty and reading pagemap, because a new mapping merged next to ours
 * would come back VM_SOFTDIRTY and report the page dirty regardless.
 */
static int clear_soft_dirty(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	int saved;

	if (fd < 0)
		return -1;
	if (write(fd, "4", 1) != 1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	return 0;
}

static void poke(void *addr, unsigned char val)
{
	*(volatile unsigned char *)addr = val;
}

static unsigned char peek(const void *addr)
{
	return *(const volatile unsigned char *)addr;
}

/* Returns 1 soft-dirty, 0 clean, -1 error (diagnostic already printed). */
static int soft_dirty_bit(const void *addr, const char *when)
{
	uint64_t ent;

	if (pagemap_entry(addr, &ent)) {
		diag("pread /proc/self/pagemap %s: %s", when, strerror(errno));
		return -1;
	}
	if (!(ent & PM_PRESENT))
		diag("page not present %s (pagemap=0x%016" PRIx64 ")", when, ent);
	return !!(ent & PM_SOFT_DIRTY);
}

/* ------------------------------------------------------------------------ */
/* userfaultfd.                                                             */

static const char *uffd_method_name(enum uffd_method m)
{
	switch (m) {
	case UFFD_VIA_SYSCALL:
		return "userfaultfd(2)";
	case UFFD_VIA_USER_MODE_ONLY:
		return "userfaultfd(2) with UFFD_USER_MODE_ONLY";
	case UFFD_VIA_DEVNODE:
		return "/dev/userfaultfd";
	}
	return "?";
}

static int uffd_open_raw(enum uffd_method m)
{
	int dev, fd, saved;

	switch (m) {
	case UFFD_VIA_SYSCALL:
		return (int)syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	case UFFD_VIA_USER_MODE_ONLY:
		return (int)syscall(__NR_userfaultfd,
				    O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	case UFFD_VIA_DEVNODE:
		dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
		if (dev < 0)
			return -1;
		fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
		saved = errno;
		close(dev);
		errno = saved;
		return fd;
	}
	errno = EINVAL;
	return -1;
}

/*
 * A fresh uffd with the wanted features (masked to what the kernel offers).
 * UFFDIO_API may only be issued once per fd, hence one fd per case.
 * On failure returns -1 with errno set and *step naming the failing call.
 */
static int uffd_new(uint64_t wanted, const char **step)
{
	struct uffdio_api api = { .api = UFFD_API };
	int fd, saved;

	*step = uffd_method_name(env.uffd_method);
	fd = uffd_open_raw(env.uffd_method);
	if (fd < 0)
		return -1;
	api.features = wanted & env.uffd_features;
	if (ioctl(fd, UFFDIO_API, &api)) {
		saved = errno;
		close(fd);
		errno = saved;
		*step = "UFFDIO_API";
		return -1;
	}
	return fd;
}

static int uffd_register_wp(int fd, void *addr, size_t len, uint64_t *ioctls)
{
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = UFFDIO_REGISTER_MODE_WP,
	};

	if (ioctl(fd, UFFDIO_REGISTER, &reg))
		return -1;
	*ioctls = reg.ioctls;
	return 0;
}

static int uffd_unregister(int fd, void *addr, size_t len)
{
	struct uffdio_range range = { .start = (uintptr_t)addr, .len = len };

	return ioctl(fd, UFFDIO_UNREGISTER, &range);
}

static int uffd_writeprotect(int fd, void *addr, size_t len, bool wp)
{
	struct uffdio_writeprotect prm = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = wp ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	return ioctl(fd, UFFDIO_WRITEPROTECT, &prm);
}

static int uffd_wake(int fd, void *addr, size_t len)
{
	struct uffdio_range range = { .start = (uintptr_t)addr, .len = len };

	return ioctl(fd, UFFDIO_WAKE, &range);
}

/* ------------------------------------------------------------------------ */
/* Probes.                                                                  */

static void probe_soft_dirty(void)
{
	uint64_t ent = 0;
	char *p;

	env.softdirty = PROBE_SKIP;
	env.pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (env.pagemap_fd < 0) {
		snprintf(env.softdirty_why, sizeof(env.softdirty_why),
			 "soft-dirty not testable: open /proc/self/pagemap: %s",
			 strerror(errno));
		return;
	}
	p = mmap(NULL, env.page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		env.softdirty = PROBE_ERROR;
		snprintf(env.softdirty_why, sizeof(env.softdirty_why),
			 "soft-dirty probe: mmap: %s", strerror(errno));
		return;
	}
	poke(p, 1);
	if (clear_soft_dirty()) {
		snprintf(env.softdirty_why, sizeof(env.softdirty_why),
			 "soft-dirty not supported: write 4 to /proc/self/clear_refs: %s",
			 strerror(errno));
		goto out;
	}
	poke(p, 2);
	if (pagemap_entry(p, &ent)) {
		snprintf(env.softdirty_why, sizeof(env.softdirty_why),
			 "soft-dirty not testable: pread /proc/self/pagemap: %s",
			 strerror(errno));
		goto out;
	}
	if (!(ent & PM_SOFT_DIRTY)) {
		snprintf(env.softdirty_why, sizeof(env.softdirty_why),
			 "soft-dirty not supported: pagemap bit 55 never set after write (CONFIG_MEM_SOFT_DIRTY off?)");
		goto out;
	}
	env.softdirty = PROBE_OK;
out:
	ktap_diag("soft-dirty probe: %s (pagemap=0x%016" PRIx64 ")",
		  env.softdirty == PROBE_OK ? "supported" : env.softdirty_why, ent);
	munmap(p, env.page);
}

static void probe_uffd(void)
{
	static const enum uffd_method order[] = {
		UFFD_VIA_SYSCALL, UFFD_VIA_USER_MODE_ONLY, UFFD_VIA_DEVNODE,
	};
	struct uffdio_api api = { .api = UFFD_API, .features = 0 };
	char sysctl[32] = "?";
	int fd = -1, first_errno = 0;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		fd = uffd_open_raw(order[i]);
		if (fd >= 0) {
			env.uffd_method = order[i];
			break;
		}
		if (i == 0)
			first_errno = errno;
		/* Only a permission refusal is worth another way in. */
		if (errno != EPERM && errno != EINVAL && errno != ENOENT &&
		    errno != EACCES)
			break;
	}
	if (fd < 0) {
		if (first_errno == ENOSYS) {
			env.uffd = PROBE_SKIP;
			snprintf(env.uffd_why, sizeof(env.uffd_why),
				 "userfaultfd: ENOSYS (CONFIG_USERFAULTFD off, or an emulator without it)");
		} else if (first_errno == EPERM) {
			env.uffd = PROBE_SKIP;
			read_line("/proc/sys/vm/unprivileged_userfaultfd",
				  sysctl, sizeof(sysctl));
			snprintf(env.uffd_why, sizeof(env.uffd_why),
				 "userfaultfd: EPERM (vm.unprivileged_userfaultfd=%s; UFFD_USER_MODE_ONLY and /dev/userfaultfd also refused: %s)",
				 sysctl, strerror(errno));
		} else {
			env.uffd = PROBE_ERROR;
			snprintf(env.uffd_why, sizeof(env.uffd_why),
				 "userfaultfd: %s (errno %d)",
				 strerror(first_errno), first_errno);
		}
		goto report;
	}
	if (ioctl(fd, UFFDIO_API, &api)) {
		env.uffd = errno == EINVAL ? PROBE_SKIP : PROBE_ERROR;
		snprintf(env.uffd_why, sizeof(env.uffd_why),
			 "UFFDIO_API(api=0x%llx): %s",
			 (unsigned long long)UFFD_API, strerror(errno));
		close(fd);
		goto report;
	}
	close(fd);
	env.uffd = PROBE_OK;
	env.uffd_features = api.features;
report:
	if (env.uffd == PROBE_OK)
		ktap_diag("userfaultfd: via %s, features=0x%" PRIx64
			  " (PAGEFAULT_FLAG_WP=%d WP_HUGETLBFS_SHMEM=%d WP_UNPOPULATED=%d WP_ASYNC=%d)",
			  uffd_method_name(env.uffd_method), env.uffd_features,
			  !!(env.uffd_features & UFFD_FEATURE_PAGEFAULT_FLAG_WP),
			  !!(env.uffd_features & UFFD_FEATURE_WP_HUGETLBFS_SHMEM),
			  !!(env.uffd_features & UFFD_FEATURE_WP_UNPOPULATED),
			  !!(env.uffd_features & UFFD_FEATURE_WP_ASYNC));
	else
		ktap_diag("userfaultfd: %s", env.uffd_why);
}

/* ------------------------------------------------------------------------ */
/* Mappings under test.                                                     */

enum backing { BACK_MEMFD, BACK_SHARED_ANON, BACK_PRIVATE_ANON };

static bool backing_is_shmem(enum backing b)
{
	return b != BACK_PRIVATE_ANON;
}

static const char *backing_name(enum backing b)
{
	switch (b) {
	case BACK_MEMFD:
		return "memfd shmem (MAP_SHARED)";
	case BACK_SHARED_ANON:
		return "MAP_SHARED|MAP_ANONYMOUS shmem";
	case BACK_PRIVATE_ANON:
		return "MAP_PRIVATE|MAP_ANONYMOUS";
	}
	return "?";
}

struct region {
	void *addr;
	size_t len;
	int memfd;
};

/* Returns 0, or -1 with errno and *step set. */
static int region_map(struct region *r, enum backing b, size_t len,
		      const char **step)
{
	int flags = MAP_ANONYMOUS;
	int fd = -1;

	r->addr = MAP_FAILED;
	r->len = len;
	r->memfd = -1;
	if (b == BACK_MEMFD) {
		*step = "memfd_create";
		fd = memfd_create("kvmatrix-softdirty", MFD_CLOEXEC);
		if (fd < 0)
			return -1;
		r->memfd = fd;
		*step = "ftruncate(memfd)";
		if (ftruncate(fd, (off_t)len))
			return -1;
		flags = MAP_SHARED;
	} else {
		flags |= b == BACK_SHARED_ANON ? MAP_SHARED : MAP_PRIVATE;
	}
	*step = "mmap";
	r->addr = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);
	return r->addr == MAP_FAILED ? -1 : 0;
}

static void region_unmap(struct region *r)
{
	if (r->addr != MAP_FAILED)
		munmap(r->addr, r->len);
	if (r->memfd >= 0)
		close(r->memfd);
	r->addr = MAP_FAILED;
	r->memfd = -1;
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)((i * 7 + 0x3c) & 0xff);
}

static void fill(void *addr, size_t len)
{
	unsigned char *p = addr;

	for (size_t i = 0; i < len; i++)
		p[i] = pattern(i);
}

/* Checks the pattern everywhere except at offset skip; returns bad offset or -1. */
static long verify(const void *addr, size_t len, size_t skip)
{
	const unsigned char *p = addr;

	for (size_t i = 0; i < len; i++)
		if (i != skip && p[i] != pattern(i))
			return (long)i;
	return -1;
}

/*
 * Common preconditions: soft-dirty (if needed), userfaultfd, and for shmem
 * the uffd-wp-on-shmem feature (5.19+, CONFIG_PTE_MARKER_UFFD_WP).
 * Returns KTAP_PASS when the case may run.
 */
static enum ktap_result need(bool softdirty, bool uffd, bool shmem, char *why,
			     size_t why_len)
{
	if (softdirty && env.softdirty != PROBE_OK) {
		snprintf(why, why_len, "%s", env.softdirty_why);
		return env.softdirty == PROBE_ERROR ? KTAP_FAIL : KTAP_SKIP;
	}
	if (uffd && env.uffd != PROBE_OK) {
		snprintf(why, why_len, "%s", env.uffd_why);
		return env.uffd == PROBE_ERROR ? KTAP_FAIL : KTAP_SKIP;
	}
	if (uffd && shmem &&
	    !(env.uffd_features & UFFD_FEATURE_WP_HUGETLBFS_SHMEM)) {
		snprintf(why, why_len,
			 "UFFDIO_API: UFFD_FEATURE_WP_HUGETLBFS_SHMEM not offered (features=0x%" PRIx64 ")",
			 env.uffd_features);
		return KTAP_SKIP;
	}
	return KTAP_PASS;
}

#define NEED(sd, uf, shm)                                                    \
	do {                                                                 \
		enum ktap_result pre_ = need(sd, uf, shm, why, why_len);     \
		if (pre_ == KTAP_FAIL)                                       \
			CASE_FAIL("%s", why);                                \
		if (pre_ == KTAP_SKIP) {                                     \
			res = KTAP_SKIP;                                     \
			goto out;                                            \
		}                                                            \
	} while (0)

static uint64_t wanted_features(bool shmem)
{
	return UFFD_FEATURE_PAGEFAULT_FLAG_WP |
	       (shmem ? UFFD_FEATURE_WP_HUGETLBFS_SHMEM : 0);
}

/*
 * UFFDIO_REGISTER(MODE_WP) with the skip/fail policy shared by all cases:
 * EINVAL means this arch/kernel/backing has no uffd-wp.
 */
#define REGISTER_WP_OR_BAIL(fd, addr, len, what)                             \
	do {                                                                 \
		uint64_t ioctls_;                                            \
		if (uffd_register_wp(fd, addr, len, &ioctls_)) {             \
			if (errno == EINVAL)                                 \
				CASE_SKIP("UFFDIO_REGISTER MODE_WP: EINVAL (no uffd-wp for %s on this arch/kernel; features=0x%" PRIx64 ")", \
					  what, env.uffd_features);          \
			CASE_FAIL_ERRNO("UFFDIO_REGISTER MODE_WP");         \
		}                                                            \
		registered = true;                                           \
		if (!(ioctls_ & (1ULL << _UFFDIO_WRITEPROTECT)))             \
			CASE_SKIP("UFFDIO_REGISTER MODE_WP: UFFDIO_WRITEPROTECT not offered for %s (ioctls=0x%" PRIx64 ")", \
				  what, ioctls_);                            \
	} while (0)

/* ------------------------------------------------------------------------ */
/* Cases 1-2: soft-dirty sanity on private anonymous memory.                */

static enum ktap_result case_sanity(bool write_after_clear, char *why,
				    size_t why_len)
{
	enum ktap_result res = KTAP_FAIL;
	struct region r = { .addr = MAP_FAILED, .memfd = -1 };
	const char *step;
	int sd;

	NEED(true, false, false);
	if (region_map(&r, BACK_PRIVATE_ANON, env.page, &step))
		CASE_FAIL_ERRNO(step);
	poke(r.addr, 1);
	if (clear_soft_dirty())
		CASE_FAIL_ERRNO("write 4 to /proc/self/clear_refs");
	if (write_after_clear)
		poke(r.addr, 2);
	sd = soft_dirty_bit(r.addr, write_after_clear ?
			    "after write following clear_refs" :
			    "after clear_refs");
	if (sd < 0)
		goto out;
	if (write_after_clear && !sd)
		CASE_FAIL("page written after clear_refs is not soft-dirty");
	if (!write_after_clear && sd)
		CASE_FAIL("page is still soft-dirty after clear_refs without a write");
	res = KTAP_PASS;
out:
	region_unmap(&r);
	return res;
}

static enum ktap_result case_sanity_write(char *why, size_t why_len)
{
	return case_sanity(true, why, why_len);
}

static enum ktap_result case_sanity_clear(char *why, size_t why_len)
{
	return case_sanity(false, why, why_len);
}

/* ------------------------------------------------------------------------ */
/* Cases 3-8: the patch's reproducer, per backing and per way of dropping wp. */

enum wp_drop { DROP_UNREGISTER, DROP_UNPROTECT };

static enum ktap_result case_softdirty_after_wp(enum backing b, enum wp_drop how,
						char *why, size_t why_len)
{
	enum ktap_result res = KTAP_FAIL;
	struct region r = { .addr = MAP_FAILED, .memfd = -1 };
	const char *step;
	const char *after = how == DROP_UNREGISTER ? "UFFDIO_UNREGISTER" :
				"UFFDIO_WRITEPROTECT mode WP then mode 0";
	bool registered = false;
	size_t off;
	long bad;
	int uffd = -1, sd;

	NEED(true, true, backing_is_shmem(b));
	if (region_map(&r, b, env.page, &step))
		CASE_FAIL_ERRNO(step);
	off = env.page / 2;
	fill(r.addr, env.page); /* 1) write */

	uffd = uffd_new(wanted_features(backing_is_shmem(b)), &step);
	if (uffd < 0)
		CASE_FAIL_ERRNO(step);

	if (clear_soft_dirty()) /* 2) clear soft-dirty */
		CASE_FAIL_ERRNO("write 4 to /proc/self/clear_refs");
	sd = soft_dirty_bit(r.addr, "after clear_refs");
	if (sd < 0)
		goto out;
	if (sd)
		CASE_FAIL("page still soft-dirty right after clear_refs; cannot test");

	REGISTER_WP_OR_BAIL(uffd, r.addr, env.page, backing_name(b)); /* 3) */
	if (how == DROP_UNREGISTER) { /* 4) */
		if (uffd_unregister(uffd, r.addr, env.page))
			CASE_FAIL_ERRNO("UFFDIO_UNREGISTER");
		registered = false;
	} else {
		if (uffd_writeprotect(uffd, r.addr, env.page, true))
			CASE_FAIL_ERRNO("UFFDIO_WRITEPROTECT mode WP");
		if (uffd_writeprotect(uffd, r.addr, env.page, false))
			CASE_FAIL_ERRNO("UFFDIO_WRITEPROTECT mode 0");
	}
	sd = soft_dirty_bit(r.addr, "before the second write");
	if (sd < 0)
		goto out;
	if (sd)
		CASE_FAIL("page became soft-dirty without a write (after %s); cannot test",
			  after);

	poke((char *)r.addr + off, 0x5a); /* 5) write again */
	sd = soft_dirty_bit(r.addr, "after the second write");
	if (sd < 0)
		goto out;
	if (!sd)
		CASE_FAIL("%s: page written after %s is not soft-dirty%s",
			  backing_name(b), after, backing_is_shmem(b) ?
			  " (write-notify lost: uffd_wp_range() mapped the PTE writable)" :
			  "");

	if (peek((char *)r.addr + off) != 0x5a)
		CASE_FAIL("written byte reads back 0x%02x, expected 0x5a",
			  peek((char *)r.addr + off));
	bad = verify(r.addr, env.page, off);
	if (bad >= 0)
		CASE_FAIL("data corrupted at offset %ld", bad);
	res = KTAP_PASS;
out:
	if (registered && uffd_unregister(uffd, r.addr, env.page) &&
	    res == KTAP_PASS) {
		diag("UFFDIO_UNREGISTER (cleanup): %s", strerror(errno));
		res = KTAP_FAIL;
	}
	if (uffd >= 0)
		close(uffd);
	region_unmap(&r);
	return res;
}

#define SD_CASE(fn, b, how)                                                  \
	static enum ktap_result fn(char *why, size_t why_len)                \
	{                                                                    \
		return case_softdirty_after_wp(b, how, why, why_len);        \
	}
SD_CASE(case_memfd_unregister, BACK_MEMFD, DROP_UNREGISTER)
SD_CASE(case_memfd_unprotect, BACK_MEMFD, DROP_UNPROTECT)
SD_CASE(case_shanon_unregister, BACK_SHARED_ANON, DROP_UNREGISTER)
SD_CASE(case_shanon_unprotect, BACK_SHARED_ANON, DROP_UNPROTECT)
SD_CASE(case_private_unregister, BACK_PRIVATE_ANON, DROP_UNREGISTER)
SD_CASE(case_private_unprotect, BACK_PRIVATE_ANON, DROP_UNPROTECT)

/* ------------------------------------------------------------------------ */
/* Case 9: the same on a PMD-mapped THP (control; PMD path of the fix).      */

/* AnonHugePages (kB) of the VMA containing addr; -1 if not found. */
static long smaps_anon_huge_kb(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512];
	bool inside = false;
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end;
		long v;

		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			inside = (uintptr_t)addr >= start && (uintptr_t)addr < end;
			continue;
		}
		if (inside && sscanf(line, "AnonHugePages: %ld kB", &v) == 1) {
			kb = v;
			break;
		}
	}
	fclose(f);
	return kb;
}

static enum ktap_result case_thp_unprotect(char *why, size_t why_len)
{
	enum ktap_result res = KTAP_FAIL;
	char enabled[128], sizebuf[64];
	size_t hsize = 2UL << 20, off;
	char *raw = MAP_FAILED, *thp = NULL;
	const char *step;
	bool registered = false;
	long kb;
	int uffd = -1, sd;

	NEED(true, true, false);
	if (read_line(THP_ENABLED_PATH, enabled, sizeof(enabled)))
		CASE_SKIP("THP not available: %s: %s", THP_ENABLED_PATH,
			  strerror(errno));
	if (strstr(enabled, "[never]"))
		CASE_SKIP("THP disabled: %s is \"%s\"", THP_ENABLED_PATH, enabled);
	if (!read_line(THP_PMD_SIZE_PATH, sizebuf, sizeof(sizebuf))) {
		unsigned long v = strtoul(sizebuf, NULL, 10);

		if (v >= env.page && !(v & (v - 1)))
			hsize = v;
	}
	/* e.g. arm64 with 64K pages: a 512 MiB PMD would not fit a small guest. */
	if (hsize > THP_MAX_TESTED)
		CASE_SKIP("PMD THP size %zu kB is larger than this test maps (%u kB)",
			  hsize >> 10, THP_MAX_TESTED >> 10);

	raw = mmap(NULL, 2 * hsize, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		CASE_FAIL_ERRNO("mmap(2 * THP size)");
	/* Trim to one aligned THP-sized VMA. */
	thp = (char *)(((uintptr_t)raw + hsize - 1) & ~(uintptr_t)(hsize - 1));
	if (thp > raw)
		munmap(raw, (size_t)(thp - raw));
	if (thp + hsize < raw + 2 * hsize)
		munmap(thp + hsize, (size_t)(raw + 2 * hsize - (thp + hsize)));
	raw = thp;
	if (madvise(thp, hsize, MADV_HUGEPAGE)) {
		if (errno == EINVAL)
			CASE_SKIP("madvise(MADV_HUGEPAGE): EINVAL (CONFIG_TRANSPARENT_HUGEPAGE off)");
		CASE_FAIL_ERRNO("madvise(MADV_HUGEPAGE)");
	}
	fill(thp, hsize); /* 1) write, faulting in the THP */
	kb = smaps_anon_huge_kb(thp);
	if (kb < 0)
		CASE_FAIL("could not read AnonHugePages from /proc/self/smaps");
	if ((size_t)kb * 1024 < hsize)
		CASE_SKIP("no THP obtained: AnonHugePages=%ld kB for the %zu kB region (enabled=\"%s\")",
			  kb, hsize >> 10, enabled);
	diag("THP backs the region (AnonHugePages=%ld kB, pmd size %zu kB)",
	     kb, hsize >> 10);

	uffd = uffd_new(wanted_features(false), &step);
	if (uffd < 0)
		CASE_FAIL_ERRNO(step);
	if (clear_soft_dirty()) /* 2) */
		CASE_FAIL_ERRNO("write 4 to /proc/self/clear_refs");
	sd = soft_dirty_bit(thp, "after clear_refs");
	if (sd < 0)
		goto out;
	if (sd)
		CASE_FAIL("THP still soft-dirty right after clear_refs; cannot test");
	REGISTER_WP_OR_BAIL(uffd, thp, hsize, "THP anon"); /* 3) */
	if (uffd_writeprotect(uffd, thp, hsize, true))
		CASE_FAIL_ERRNO("UFFDIO_WRITEPROTECT mode WP");
	if (uffd_writeprotect(uffd, thp, hsize, false))
		CASE_FAIL_ERRNO("UFFDIO_WRITEPROTECT mode 0");
	sd = soft_dirty_bit(thp, "before the second write");
	if (sd < 0)
		goto out;
	if (sd)
		CASE_FAIL("THP became soft-dirty without a write; cannot test");
	off = env.page / 2;
	poke(thp + off, 0x5a); /* 5) */
	sd = soft_dirty_bit(thp, "after the second write");
	if (sd < 0)
		goto out;
	if (!sd)
		CASE_FAIL("THP written after wp/un-wp is not soft-dirty");
	if (peek(thp + off) != 0x5a || verify(thp, hsize, off) >= 0)
		CASE_FAIL("THP data corrupted");
	res = KTAP_PASS;
out:
	if (registered && uffd_unregister(uffd, thp, hsize) && res == KTAP_PASS) {
		diag("UFFDIO_UNREGISTER (cleanup): %s", strerror(errno));
		res = KTAP_FAIL;
	}
	if (uffd >= 0)
		close(uffd);
	if (raw != MAP_FAILED) {
		if (res == KTAP_PASS) {
			kb = smaps_anon_huge_kb(raw);
			diag("after the test AnonHugePages=%ld kB", kb);
		}
		munmap(raw, hsize);
	}
	return res;
}

/* ------------------------------------------------------------------------ */
/* Cases 10-11: a write to a wp page is delivered and resolved.             */

struct writer {
	unsigned char *addr;
	unsigned char val;
	int done;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;

	poke(w->addr, w->val);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int join_within(pthread_t t, long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return pthread_timedjoin_np(t, NULL, &ts);
}

static enum ktap_result case_wp_fault(enum backing b, char *why, size_t why_len)
{
	enum ktap_result res = KTAP_FAIL;
	struct region r = { .addr = MAP_FAILED, .memfd = -1 };
	struct writer w = { .val = 0x5a };
	struct uffd_msg msg;
	struct pollfd pfd;
	const char *step;
	bool registered = false, thread_live = false;
	pthread_t thread;
	uintptr_t fault_page;
	size_t off;
	ssize_t n;
	long bad;
	int uffd = -1, rc;

	NEED(false, true, backing_is_shmem(b));
	if (region_map(&r, b, env.page, &step))
		CASE_FAIL_ERRNO(step);
	fill(r.addr, env.page);
	off = env.page / 2 + 3;
	w.addr = (unsigned char *)r.addr + off;

	uffd = uffd_new(wanted_features(backing_is_shmem(b)), &step);
	if (uffd < 0)
		CASE_FAIL_ERRNO(step);
	REGISTER_WP_OR_BAIL(uffd, r.addr, env.page, backing_name(b));
	if (uffd_writeprotect(uffd, r.addr, env.page, true))
		CASE_FAIL_ERRNO("UFFDIO_WRITEPROTECT mode WP");

	rc = pthread_create(&thread, NULL, writer_main, &w);
	if (rc) {
		errno = rc;
		CASE_FAIL_ERRNO("pthread_create");
	}
	thread_live = true;

	pfd.fd = uffd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	rc = poll(&pfd, 1, UFFD_MSG_TIMEOUT_MS);
	if (rc < 0)
		CASE_FAIL_ERRNO("poll(uffd)");
	if (rc == 0)
		CASE_FAIL("no uffd message within %d ms (writer done=%d)",
			  UFFD_MSG_TIMEOUT_MS, __atomic_load_n(&w.done, __ATOMIC_ACQUIRE));
	if (!(pfd.revents & POLLIN))
		CASE_FAIL("poll(uffd) revents=0x%x", pfd.revents);
	n = read(uffd, &msg, sizeof(msg));
	if (n < 0)
		CASE_FAIL_ERRNO("read(uffd)");
	if (n != (ssize_t)sizeof(msg))
		CASE_FAIL("read(uffd) returned %zd bytes, expected %zu", n, sizeof(msg));
	if (msg.event != UFFD_EVENT_PAGEFAULT)
		CASE_FAIL("uffd event 0x%x, expected UFFD_EVENT_PAGEFAULT (0x%x)",
			  msg.event, UFFD_EVENT_PAGEFAULT);
	if (!(msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP))
		CASE_FAIL("pagefault flags 0x%llx lack UFFD_PAGEFAULT_FLAG_WP",
			  (unsigned long long)msg.arg.pagefault.flags);
	fault_page = (uintptr_t)msg.arg.pagefault.address & ~(uintptr_t)(env.page - 1);
	if (fault_page != (uintptr_t)r.addr)
		CASE_FAIL("fault address 0x%llx, expected page %p",
			  (unsigned long long)msg.arg.pagefault.address, r.addr);

	sleep_ms(WRITER_BLOCKED_CHECK_MS);
	if (__atomic_load_n(&w.done, __ATOMIC_ACQUIRE))
		CASE_FAIL("writer completed while the page was write-protected");
	if (peek(w.addr) != pattern(off))
		CASE_FAIL("protected byte changed to 0x%02x before resolution", peek(w.addr));

	/* Mode 0 without DONTWAKE also wakes the faulting thread. */
	if (uffd_writeprotect(uffd, r.addr, env.page, false))
		CASE_FAIL_ERRNO("UFFDIO_WRITEPROTECT mode 0");
	if (!wait_flag(&w.done, 2000)) {
		diag("writer still blocked 2 s after un-protect; sending UFFDIO_WAKE");
		if (uffd_wake(uffd, r.addr, env.page))
			CASE_FAIL_ERRNO("UFFDIO_WAKE");
		if (!wait_flag(&w.done, 3000))
			CASE_FAIL("writer still blocked after un-protect and UFFDIO_WAKE");
	}
	rc = join_within(thread, 2000);
	if (rc) {
		errno = rc;
		CASE_FAIL_ERRNO("pthread_timedjoin_np");
	}
	thread_live = false;

	if (peek(w.addr) != w.val)
		CASE_FAIL("written byte reads back 0x%02x, expected 0x%02x",
			  peek(w.addr), w.val);
	bad = verify(r.addr, env.page, off);
	if (bad >= 0)
		CASE_FAIL("data corrupted at offset %ld", bad);
	res = KTAP_PASS;
out:
	if (thread_live) {
		/* Closing the uffd drops the protection and releases the writer. */
		if (uffd >= 0)
			close(uffd);
		uffd = -1;
		registered = false;
		if (join_within(thread, 3000)) {
			diag("writer thread stuck in a uffd-wp fault; cannot clean up");
			printf("Bail out!\n");
			_exit(KSFT_FAIL);
		}
	}
	if (registered && uffd_unregister(uffd, r.addr, env.page) &&
	    res == KTAP_PASS) {
		diag("UFFDIO_UNREGISTER (cleanup): %s", strerror(errno));
		res = KTAP_FAIL;
	}
	if (uffd >= 0)
		close(uffd);
	region_unmap(&r);
	return res;
}

static enum ktap_result case_wp_fault_shmem(char *why, size_t why_len)
{
	return case_wp_fault(BACK_MEMFD, why, why_len);
}

static enum ktap_result case_wp_fault_anon(char *why, size_t why_len)
{
	return case_wp_fault(BACK_PRIVATE_ANON, why, why_len);
}

/* ------------------------------------------------------------------------ */
/* Case 12: write faults left behind by un-protect (informational count).   */

static enum ktap_result case_faults_after_unprotect(char *why, size_t why_len)
{
	enum ktap_result res = KTAP_FAIL;
	struct region r = { .addr = MAP_FAILED, .memfd = -1 };
	size_t len = FAULT_PAGES * env.page;
	struct rusage before, after;
	const char *step;
	bool registered = false;
	unsigned char *p = NULL;
	int uffd = -1;

	NEED(false, true, false);
	if (region_map(&r, BACK_PRIVATE_ANON, len, &step))
		CASE_FAIL_ERRNO(step);
	p = r.addr;
	fill(p, len);

	uffd = uffd_new(wanted_features(false), &step);
	if (uffd < 0)
		CASE_FAIL_ERRNO(step);
	REGISTER_WP_OR_BAIL(uffd, p, len, backing_name(BACK_PRIVATE_ANON));
	if (uffd_writeprotect(uffd, p, len, true))
		CASE_FAIL_ERRNO("UFFDIO_WRITEPROTECT mode WP");
	if (uffd_writeprotect(uffd, p, len, false))
		CASE_FAIL_ERRNO("UFFDIO_WRITEPROTECT mode 0");

	if (getrusage(RUSAGE_THREAD, &before))
		CASE_FAIL_ERRNO("getrusage(RUSAGE_THREAD)");
	for (size_t i = 0; i < FAULT_PAGES; i++)
		poke(p + i * env.page, (unsigned char)~pattern(i * env.page));
	if (getrusage(RUSAGE_THREAD, &after))
		CASE_FAIL_ERRNO("getrusage(RUSAGE_THREAD)");
	ktap_diag("faults_after_unprotect=%ld pages=%d",
		  after.ru_minflt - before.ru_minflt, FAULT_PAGES);

	for (size_t i = 0; i < len; i++) {
		unsigned char want = i % env.page ? pattern(i) :
				     (unsigned char)~pattern(i);

		if (p[i] != want)
			CASE_FAIL("data corrupted at offset %zu: 0x%02x, expected 0x%02x",
				  i, p[i], want);
	}
	res = KTAP_PASS;
out:
	if (registered && uffd_unregister(uffd, p, len) && res == KTAP_PASS) {
		diag("UFFDIO_UNREGISTER (cleanup): %s", strerror(errno));
		res = KTAP_FAIL;
	}
	if (uffd >= 0)
		close(uffd);
	region_unmap(&r);
	return res;
}

/* ------------------------------------------------------------------------ */

/* Names are stable: the kvmatrix result matrix keys on them. */
static const struct {
	const char *name;
	enum ktap_result (*run)(char *why, size_t why_len);
} cases[] = {
	{ "softdirty_sanity_write_sets_bit", case_sanity_write },
	{ "softdirty_sanity_clear_without_write", case_sanity_clear },
	{ "shmem_memfd_unregister_softdirty", case_memfd_unregister },
	{ "shmem_memfd_unprotect_softdirty", case_memfd_unprotect },
	{ "shmem_anon_unregister_softdirty", case_shanon_unregister },
	{ "shmem_anon_unprotect_softdirty", case_shanon_unprotect },
	{ "anon_private_unregister_softdirty", case_private_unregister },
	{ "anon_private_unprotect_softdirty", case_private_unprotect },
	{ "thp_private_unprotect_softdirty", case_thp_unprotect },
	{ "uffd_wp_fault_delivered_shmem", case_wp_fault_shmem },
	{ "uffd_wp_fault_delivered_anon", case_wp_fault_anon },
	{ "anon_private_faults_after_unprotect", case_faults_after_unprotect },
};

int main(void)
{
	const int ncases = (int)(sizeof(cases) / sizeof(cases[0]));
	struct utsname uts;
	long page;

	ktap_begin(ncases);
	if (uname(&uts) == 0)
		ktap_diag("kvmatrix-selftest v%d softdirty_uffdwp kernel=%s arch=%s",
			  SELFTEST_VERSION, uts.release, uts.machine);
	else
		ktap_diag("kvmatrix-selftest v%d softdirty_uffdwp kernel=unknown",
			  SELFTEST_VERSION);

	page = sysconf(_SC_PAGESIZE);
	env.page = page > 0 ? (size_t)page : 4096;
	ktap_diag("page size %zu", env.page);
	watchdog_install();

	watchdog_arm(0, "probe");
	probe_soft_dirty();
	probe_uffd();
	alarm(0);

	for (int i = 0; i < ncases; i++) {
		char why[512] = "";
		enum ktap_result res;

		case_name = cases[i].name;
		watchdog_arm(i + 1, cases[i].name);
		res = cases[i].run(why, sizeof(why));
		alarm(0);
		ktap_report(cases[i].name, res, why);
	}
	case_name = "(teardown)";
	if (env.pagemap_fd >= 0)
		close(env.pagemap_fd);
	return ktap_finish();
}
