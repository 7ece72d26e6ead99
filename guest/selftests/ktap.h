/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal KTAP (kselftest flavour) reporting for kvmatrix guest selftests.
 *
 * Output goes to stdout, which ktap_begin() makes line-buffered so that a
 * crash or watchdog exit never loses a finished result line. Exit codes follow
 * kselftest: 0 pass (skips allowed if something passed), 1 fail, 4 all skipped.
 */
#ifndef KVMATRIX_KTAP_H
#define KVMATRIX_KTAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define KSFT_PASS 0
#define KSFT_FAIL 1
#define KSFT_SKIP 4

enum ktap_result { KTAP_PASS, KTAP_FAIL, KTAP_SKIP };

struct ktap_state {
	int planned;
	int reported;
	int pass;
	int fail;
	int skip;
};

static struct ktap_state ktap;

static inline void ktap_begin(int planned)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	ktap.planned = planned;
	printf("TAP version 13\n");
	printf("1..%d\n", planned);
}

__attribute__((format(printf, 1, 2)))
static inline void ktap_diag(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	char *nl;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One diagnostic per line: continuation lines keep the "# " prefix. */
	for (char *p = line; p; p = nl) {
		nl = strchr(p, '\n');
		if (nl)
			*nl++ = '\0';
		printf("# %s\n", p);
	}
}

/* Reasons go on the result line, so they must be a single line. */
static inline void ktap_flatten(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

static inline void ktap_report(const char *name, enum ktap_result res,
			       char *skip_reason)
{
	int n = ++ktap.reported;

	switch (res) {
	case KTAP_PASS:
		ktap.pass++;
		printf("ok %d %s\n", n, name);
		break;
	case KTAP_SKIP:
		ktap.skip++;
		ktap_flatten(skip_reason);
		printf("ok %d %s # SKIP %s\n", n, name,
		       skip_reason[0] ? skip_reason : "(no reason given)");
		break;
	case KTAP_FAIL:
	default:
		ktap.fail++;
		printf("not ok %d %s\n", n, name);
		break;
	}
}

static inline int ktap_finish(void)
{
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:%d error:0\n",
	       ktap.pass, ktap.fail, ktap.skip);
	if (ktap.reported != ktap.planned) {
		printf("# planned %d cases but reported %d\n",
		       ktap.planned, ktap.reported);
		return KSFT_FAIL;
	}
	if (ktap.fail)
		return KSFT_FAIL;
	if (!ktap.pass)
		return KSFT_SKIP;
	return KSFT_PASS;
}

#endif /* KVMATRIX_KTAP_H */
