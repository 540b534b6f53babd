/*
 * The session user's download directory, for file transfer from SPICE
 * clients: the compositor knows the user's environment, the backend only
 * gets the path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "downloads.h"

#define KEY "XDG_DOWNLOAD_DIR="
/* user-dirs.dirs is a few hundred bytes; a larger one is not read past this. */
#define MAX_USER_DIRS (64 * 1024)

/* The quoted value at v (after KEY), decoded; NULL when malformed. */
static char *parse_value(const char *v, const char *home) {
	if (*v != '"') {
		return NULL;
	}
	v++;
	const char *prefix = "";
	if (strncmp(v, "$HOME", 5) == 0 && (v[5] == '/' || v[5] == '"')) {
		prefix = home;
		v += 5;
	} else if (*v != '/') {
		return NULL; // only "$HOME/..." and absolute paths are valid
	}
	size_t cap = strlen(prefix) + strlen(v) + 1;
	char *out = malloc(cap);
	if (out == NULL) {
		return NULL;
	}
	size_t n = strlen(prefix);
	memcpy(out, prefix, n);
	for (; *v != '"'; v++) {
		if (*v == '\0' || *v == '\n') {
			free(out);
			return NULL; // unterminated
		}
		if (*v == '\\' && v[1] != '\0' && v[1] != '\n') {
			v++;
		}
		out[n++] = *v;
	}
	out[n] = '\0';
	// trailing slashes (but keep "/")
	while (n > 1 && out[n - 1] == '/') {
		out[--n] = '\0';
	}
	return out;
}

/*
 * XDG_DOWNLOAD_DIR from user-dirs.dirs contents (lines such as
 * XDG_DOWNLOAD_DIR="$HOME/Downloads"; the value is "$HOME/..." or an absolute
 * path, with \" \\ \$ escapes, as xdg-user-dirs writes it). A newly allocated
 * absolute path, or NULL when the file does not set it usably (then
 * ~/Downloads is the default). A value of "$HOME/" or "$HOME" alone means the
 * user turned the directory off: xdg-user-dirs then uses HOME itself, and so
 * does this.
 */
static char *parse_user_dirs(const char *contents, const char *home) {
	char *found = NULL;
	const char *line = contents;
	while (line != NULL && *line != '\0') {
		const char *l = line;
		while (*l == ' ' || *l == '\t') {
			l++;
		}
		if (strncmp(l, KEY, strlen(KEY)) == 0) {
			char *value = parse_value(l + strlen(KEY), home);
			if (value != NULL) {
				free(found); // the last one wins, as when the shell sources it
				found = value;
			}
		}
		line = strchr(line, '\n');
		if (line != NULL) {
			line++;
		}
	}
	return found;
}

static char *read_small_file(const char *path) {
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		return NULL;
	}
	char *buf = malloc(MAX_USER_DIRS + 1);
	if (buf == NULL) {
		fclose(f);
		return NULL;
	}
	size_t n = fread(buf, 1, MAX_USER_DIRS, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static char *join(const char *a, const char *b) {
	size_t len = strlen(a) + strlen(b) + 1;
	char *out = malloc(len);
	if (out != NULL) {
		snprintf(out, len, "%s%s", a, b);
	}
	return out;
}

char *swl_downloads_dir(void) {
	const char *home = getenv("HOME");
	if (home == NULL || home[0] != '/') {
		return NULL;
	}
	// the XDG base directory spec: a relative XDG_CONFIG_HOME is ignored
	const char *config = getenv("XDG_CONFIG_HOME");
	char *path = config != NULL && config[0] == '/' ? join(config, "/user-dirs.dirs") :
			join(home, "/.config/user-dirs.dirs");
	char *contents = path != NULL ? read_small_file(path) : NULL;
	free(path);
	char *dir = contents != NULL ? parse_user_dirs(contents, home) : NULL;
	free(contents);
	return dir != NULL ? dir : join(home, "/Downloads");
}
