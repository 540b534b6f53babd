/*
 * The replay main() of the fuzz targets, for builds without libFuzzer: runs
 * the files (or the files in the directories) named on its command line
 * through LLVMFuzzerTestOneInput once each. Included by a target only under
 * -DSPB_FUZZ_REPLAY, after its LLVMFuzzerTestOneInput.
 */
#ifndef SPB_FUZZ_REPLAY_H
#define SPB_FUZZ_REPLAY_H

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path) {
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		return -1;
	}
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	while (true) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			uint8_t *grown = realloc(buf, cap);
			if (grown == NULL) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = grown;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		if (n == 0) {
			break;
		}
		len += n;
	}
	bool failed = ferror(f);
	fclose(f);
	if (failed) {
		perror(path);
		free(buf);
		return -1;
	}
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 1;
}

/* Runs path, or each regular file in it; returns how many ran, -1 on error. */
static int replay_path(const char *path) {
	struct stat st;
	if (stat(path, &st) != 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		return replay_file(path);
	}
	DIR *dir = opendir(path);
	if (dir == NULL) {
		perror(path);
		return -1;
	}
	int count = 0;
	struct dirent *entry;
	while ((entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] == '.') {
			continue;
		}
		size_t n = strlen(path) + strlen(entry->d_name) + 2;
		char *file = malloc(n);
		if (file == NULL) {
			count = -1;
			break;
		}
		snprintf(file, n, "%s/%s", path, entry->d_name);
		if (stat(file, &st) == 0 && S_ISREG(st.st_mode)) {
			int ran = replay_file(file);
			if (ran < 0) {
				free(file);
				count = -1;
				break;
			}
			count += ran;
		}
		free(file);
	}
	closedir(dir);
	return count;
}

int main(int argc, char *argv[]) {
	int total = 0;
	for (int i = 1; i < argc; i++) {
		int ran = replay_path(argv[i]);
		if (ran < 0) {
			return 1;
		}
		total += ran;
	}
	printf("replayed %d input(s)\n", total);
	return total > 0 ? 0 : 1;
}

#endif
