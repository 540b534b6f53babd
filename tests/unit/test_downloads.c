/*
 * Unit tests for compositor/downloads.c: XDG_DOWNLOAD_DIR as xdg-user-dirs
 * writes it, and what is not usable.
 */
// downloads.c is included rather than linked, to reach its parser;
// first, so that its feature test macros come before any system header.
#include "../../compositor/downloads.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

static void expect_dir(const char *contents, const char *want) {
	char *got = parse_user_dirs(contents, "/home/u");
	if (want == NULL) {
		assert_null(got);
	} else {
		assert_non_null(got);
		assert_string_equal(got, want);
	}
	free(got);
}

static void test_user_dirs(void **state) {
	expect_dir("# comment\nXDG_DESKTOP_DIR=\"$HOME/Desktop\"\n"
			"XDG_DOWNLOAD_DIR=\"$HOME/Downloads\"\n", "/home/u/Downloads");
	expect_dir("XDG_DOWNLOAD_DIR=\"/srv/in coming/\"\n", "/srv/in coming");
	expect_dir("  XDG_DOWNLOAD_DIR=\"$HOME/T\\\"e\\$t\"", "/home/u/T\"e$t");
	// "$HOME" alone: the user turned the directory off; xdg-user-dirs uses HOME
	expect_dir("XDG_DOWNLOAD_DIR=\"$HOME/\"\n", "/home/u");
	expect_dir("XDG_DOWNLOAD_DIR=\"$HOME\"\n", "/home/u");
	// the last one wins
	expect_dir("XDG_DOWNLOAD_DIR=\"/a\"\nXDG_DOWNLOAD_DIR=\"/b\"\n", "/b");
	// not usable: relative, unquoted, unterminated, other variables, missing
	expect_dir("XDG_DOWNLOAD_DIR=\"Downloads\"\n", NULL);
	expect_dir("XDG_DOWNLOAD_DIR=/tmp\n", NULL);
	expect_dir("XDG_DOWNLOAD_DIR=\"/tmp\n\"", NULL);
	expect_dir("XDG_DOWNLOAD_DIR=\"$HOMEX/a\"\n", NULL);
	expect_dir("XDG_DESKTOP_DIR=\"$HOME/Desktop\"\n", NULL);
	expect_dir("", NULL);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_dirs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
