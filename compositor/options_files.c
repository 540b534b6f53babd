/*
 * What the option parser reads from files: the config files ("key = value"
 * lines naming long options, applied before the command line, which then
 * overrides them) and the password file. Both are opened and read the same
 * bounded way, so that a device or an endless pipe cannot hang or bloat it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "option_kinds.h"

/*
 * spice-server keeps the ticket in a SPICE_MAX_PASSWORD_LENGTH (60) byte
 * array with its NUL: it refuses 61 bytes, and silently cuts 60 to 59, which
 * then no client can match.
 */
#define MAX_PASSWORD_BYTES 59
/* What is read of a password file or a config file, at most. */
#define MAX_PASSWORD_FILE_BYTES 4096
#define MAX_CONFIG_BYTES (1024 * 1024)

/*
 * Opens path to read settings or a secret from: a regular file or a pipe
 * (`<(...)`, /dev/stdin), not a directory nor a device such as /dev/zero.
 * Returns the fd, or -1 with errno set and, when errno is 0, *reason.
 */
static int open_input(const char *path, struct stat *st, const char **reason) {
	*reason = NULL;
	// Non-blocking so that opening a FIFO nobody writes does not hang; the
	// reads that follow are made blocking again.
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		return -1;
	}
	int flags = fcntl(fd, F_GETFL);
	if (fstat(fd, st) != 0 || flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	if (S_ISDIR(st->st_mode)) {
		close(fd);
		errno = EISDIR;
		return -1;
	}
	if (!S_ISREG(st->st_mode) && !S_ISFIFO(st->st_mode)) {
		close(fd);
		errno = 0;
		*reason = "not a regular file";
		return -1;
	}
	return fd;
}

/*
 * Reads fd into buf until end-of-file or cap bytes; returns the byte count,
 * or -1 with errno set. cap bytes read means the file may be longer.
 */
static ssize_t read_bounded(int fd, char *buf, size_t cap) {
	size_t len = 0;
	while (len < cap) {
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			return -1;
		}
		if (n == 0) {
			break;
		}
		len += (size_t)n;
	}
	return (ssize_t)len;
}

static void wipe(char *buf, size_t len) {
	for (volatile char *p = buf; p < buf + len; p++) {
		*p = '\0';
	}
}

/*
 * A password file must be private, as ssh wants a private key: no access for
 * others, and none for the group unless it is root's group (systemd's
 * credentials are root's, mode 0440 once an ACL lets the service user read
 * them). It must be ours or root's: another user could change it.
 */
static bool password_file_private(
		const struct swl_option_source *cli, const char *path, const struct stat *st) {
	if (st->st_uid != geteuid() && st->st_uid != 0) {
		swl_option_fail(cli, "--password-file '%s' belongs to uid %u: it must be yours or root's",
				path, (unsigned)st->st_uid);
		return false;
	}
	if ((st->st_mode & 007) != 0 || ((st->st_mode & 070) != 0 && st->st_gid != 0)) {
		swl_option_fail(cli,
				"--password-file '%s' has mode %04o: other users can read it (chmod 600 '%s')",
				path, (unsigned)(st->st_mode & 07777), path);
		return false;
	}
	return true;
}

bool swl_options_password_fits(
		const struct swl_option_source *cli, const char *what, const char *path, size_t len) {
	if (len > MAX_PASSWORD_BYTES) {
		swl_option_fail(cli, "%s%s%s%s: the password is %zu bytes long; SPICE allows at most %d",
				what, path != NULL ? " '" : "", path != NULL ? path : "", path != NULL ? "'" : "",
				len, MAX_PASSWORD_BYTES);
		return false;
	}
	return true;
}

/* The password: the first line of the n bytes read from path, without its line ending. */
static bool take_first_line(const struct swl_option_source *cli, const char *path, const char *buf,
		size_t n, char **password) {
	if (n == 0) {
		swl_option_fail(cli, "cannot read --password-file '%s': file is empty", path);
		return false;
	}
	if (n > MAX_PASSWORD_FILE_BYTES) {
		swl_option_fail(cli, "cannot read --password-file '%s': it is longer than %d bytes", path,
				MAX_PASSWORD_FILE_BYTES);
		return false;
	}
	if (memchr(buf, '\0', n) != NULL) {
		swl_option_fail(cli, "cannot read --password-file '%s': it contains a NUL byte", path);
		return false;
	}
	const char *nl = memchr(buf, '\n', n);
	size_t len = nl != NULL ? (size_t)(nl - buf) : n;
	while (len > 0 && buf[len - 1] == '\r') {
		len--;
	}
	if (len == 0) {
		swl_option_fail(cli, "cannot read --password-file '%s': first line is empty", path);
		return false;
	}
	if (!swl_options_password_fits(cli, "--password-file", path, len)) {
		return false;
	}
	char *line = malloc(len + 1);
	if (line == NULL) {
		swl_option_fail(cli, "out of memory");
		return false;
	}
	memcpy(line, buf, len);
	line[len] = '\0';
	swl_options_wipe_and_free(*password);
	*password = line;
	return true;
}

/* Read with read(2) into a buffer that is wiped, so no copy is left behind. */
bool swl_options_read_password_file(
		const struct swl_option_source *cli, const char *path, char **password) {
	struct stat st;
	const char *reason;
	int fd = open_input(path, &st, &reason);
	if (fd < 0) {
		swl_option_fail(cli, "cannot read --password-file '%s': %s", path,
				reason != NULL ? reason : strerror(errno));
		return false;
	}
	if (!password_file_private(cli, path, &st)) {
		close(fd);
		return false;
	}
	char buf[MAX_PASSWORD_FILE_BYTES + 1];
	ssize_t n = read_bounded(fd, buf, sizeof(buf));
	int read_errno = errno;
	close(fd);
	if (n < 0) {
		swl_option_fail(cli, "cannot read --password-file '%s': %s", path, strerror(read_errno));
		return false;
	}
	bool ok = take_first_line(cli, path, buf, (size_t)n, password);
	wipe(buf, (size_t)n);
	return ok;
}

static const char *const true_words[] = { "true", "yes", "on", "1", NULL };
static const char *const false_words[] = { "false", "no", "off", "0", NULL };
static const char *const bool_words[] = { "true", "false", "yes", "no", "on", "off", "1", "0",
	NULL };

static bool parse_bool(
		const struct swl_option_source *src, const char *name, const char *value, bool *out) {
	if (swl_options_find_name(true_words, value, strlen(value)) >= 0) {
		*out = true;
		return true;
	}
	if (swl_options_find_name(false_words, value, strlen(value)) >= 0) {
		*out = false;
		return true;
	}
	char expected[128];
	swl_options_join(expected, sizeof(expected), bool_words, ", ", " or ");
	swl_option_fail_value(src, name, value, "expected %s", expected);
	return false;
}

/*
 * Applies one config file entry: an option without an argument takes a
 * boolean (false clears it), verbose a level, the others their value.
 */
static bool apply_config_entry(
		struct swl_option_source *src, const struct swl_option *opt, const char *value) {
	if (opt->arg != NULL || opt->kind->clear == NULL) {
		return opt->kind->parse(opt, src, value);
	}
	bool on;
	if (!parse_bool(src, opt->name, value, &on)) {
		return false;
	}
	if (on) {
		return opt->kind->parse(opt, src, NULL);
	}
	opt->kind->clear(opt, src);
	return true;
}

static bool is_space(char c) {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Applies the line src->lineno of a config file (len bytes, modified in place). */
static bool apply_config_line(struct swl_option_source *src, char *line, size_t len) {
	if (strlen(line) != len) {
		swl_option_fail(src, "line contains a NUL byte");
		return false;
	}
	while (len > 0 && is_space(line[len - 1])) {
		line[--len] = '\0';
	}
	char *key = line;
	while (is_space(*key)) {
		key++;
	}
	if (*key == '\0' || *key == '#') {
		return true;
	}
	char *eq = strchr(key, '=');
	if (eq == NULL) {
		swl_option_fail(src, "expected 'key = value'");
		return false;
	}
	char *value = eq + 1;
	while (is_space(*value)) {
		value++;
	}
	*eq = '\0';
	while (eq > key && is_space(eq[-1])) {
		*--eq = '\0';
	}

	const struct swl_option *opt = swl_option_by_name(key);
	if (opt == NULL) {
		swl_option_fail(src, "unknown option '%s'", key);
		return false;
	}
	if (opt->kind->command_line_only) {
		swl_option_fail(src, "option '%s' is not allowed in a config file", key);
		return false;
	}
	return apply_config_entry(src, opt, value);
}

/*
 * Reads a config file whole, bounded: a config file is small, and
 * /dev/stdin or a pipe that never ends must not grow memory without end.
 * Returns its text (NUL-terminated, *size bytes), or NULL after reporting.
 */
static char *read_config(const struct swl_option_source *cli, const char *path, int fd,
		const struct stat *st, size_t *size) {
	// cap bytes of the file fit in text, one more than it is expected to hold.
	size_t cap = MAX_CONFIG_BYTES + 1;
	if (S_ISREG(st->st_mode) && st->st_size < MAX_CONFIG_BYTES) {
		cap = (size_t)st->st_size + 1;
	}
	char *text = malloc(cap + 1);
	ssize_t len = -1;
	*size = 0;
	while (text != NULL) {
		len = read_bounded(fd, text + *size, cap - *size);
		if (len < 0) {
			break;
		}
		*size += (size_t)len;
		if (*size < cap || cap > MAX_CONFIG_BYTES) {
			break; // end of file, or too long
		}
		// The file grew since fstat: read on, up to the bound.
		cap = MAX_CONFIG_BYTES + 1;
		char *more = realloc(text, cap + 1);
		if (more == NULL) {
			free(text);
		}
		text = more;
	}
	if (text == NULL) {
		swl_option_fail(cli, "out of memory");
	} else if (len < 0) {
		swl_option_fail(cli, "cannot read config file '%s': %s", path, strerror(errno));
	} else if (*size > MAX_CONFIG_BYTES) {
		swl_option_fail(cli, "cannot read config file '%s': it is longer than %d bytes", path,
				MAX_CONFIG_BYTES);
	} else {
		text[*size] = '\0';
		return text;
	}
	free(text);
	return NULL;
}

/*
 * Applies the config file at path. A missing file is fine unless required
 * (--config); an unreadable one, or any bad line, is an error.
 */
static bool load_config_file(
		const struct swl_option_source *cli, const char *path, bool required) {
	struct stat st;
	const char *reason;
	int fd = open_input(path, &st, &reason);
	if (fd < 0) {
		if (!required && reason == NULL && (errno == ENOENT || errno == ENOTDIR)) {
			return true;
		}
		swl_option_fail(cli, "cannot read config file '%s': %s", path,
				reason != NULL ? reason : strerror(errno));
		return false;
	}
	size_t size;
	char *text = read_config(cli, path, fd, &st, &size);
	close(fd);
	if (text == NULL) {
		return false;
	}

	struct swl_option_source file = { .opts = cli->opts, .err = cli->err, .path = path };
	swl_option_source_begin(&file);
	bool ok = true;
	for (char *line = text; ok && line < text + size;) {
		char *nl = memchr(line, '\n', (size_t)(text + size - line));
		char *end = nl != NULL ? nl : text + size;
		*end = '\0';
		file.lineno++;
		ok = apply_config_line(&file, line, (size_t)(end - line));
		line = end + 1;
	}
	free(text);
	if (ok) {
		swl_option_source_end(&file);
	}
	return ok;
}

/* dir + "/" + subdir + "/" + SWL_CONFIG_NAME, or NULL when out of memory. */
static char *config_path(const char *dir, const char *subdir) {
	size_t len = strlen(dir) + strlen(subdir) + strlen(SWL_CONFIG_NAME) + 3;
	char *path = malloc(len);
	if (path != NULL) {
		snprintf(path, len, "%s/%s%s%s", dir, subdir, subdir[0] != '\0' ? "/" : "",
				SWL_CONFIG_NAME);
	}
	return path;
}

/*
 * Applies --config FILE if given, else the system config file and then the
 * user's ($XDG_CONFIG_HOME, else ~/.config), both optional.
 */
bool swl_options_load_config(struct swl_option_source *cli, const char *config) {
	if (config != NULL) {
		return load_config_file(cli, config, true);
	}

	const char *sysconfdir = getenv(SWL_SYSCONFDIR_ENV);
	if (sysconfdir == NULL || sysconfdir[0] == '\0') {
		sysconfdir = SWL_DEFAULT_SYSCONFDIR;
	}
	// the XDG base directory spec: a relative XDG_CONFIG_HOME is to be ignored
	const char *user_dir = getenv("XDG_CONFIG_HOME");
	const char *user_subdir = "";
	if (user_dir == NULL || user_dir[0] != '/') {
		user_dir = getenv("HOME");
		user_subdir = ".config";
	}
	if (user_dir != NULL && user_dir[0] == '\0') {
		user_dir = NULL;
	}

	const char *dirs[] = { sysconfdir, user_dir };
	const char *subdirs[] = { "", user_subdir };
	for (size_t i = 0; i < SWL_ARRAY_LEN(dirs); i++) {
		if (dirs[i] == NULL) {
			continue;
		}
		char *path = config_path(dirs[i], subdirs[i]);
		if (path == NULL) {
			swl_option_fail(cli, "out of memory");
			return false;
		}
		bool ok = load_config_file(cli, path, false);
		free(path);
		if (!ok) {
			return false;
		}
	}
	return true;
}
