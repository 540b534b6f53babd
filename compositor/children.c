/*
 * Every process spice-wl starts ends with it, and inherits none of its
 * descriptors. spice-wl is a child subreaper: what its children leave
 * behind (wlroots' Xwayland, once the helper that double-forked it is gone;
 * COMMAND's daemons) becomes its child instead of init's, so at exit
 * swl_children_end() finds and ends all of it. A fork handler covers forks
 * spice-wl does not make itself (wlroots'): the child marks every inherited
 * descriptor close-on-exec, and a direct child dies with spice-wl.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wlr/util/log.h>
#include "clock.h"
#include "fds.h"
#include "server.h"
#include "xwayland.h"

// How often the end loop looks for new children (orphans reparented to us).
#define SCAN_INTERVAL_MS 50
// After SIGKILL, how long to wait for the last ones before giving up.
#define KILL_WAIT_MS 2000

static pid_t main_pid;
// The descriptor limit spice-wl started with: the backend raises its own soft
// limit to take many connections, children get the usual one back (a program
// using select() breaks on descriptors above 1023), as systemd does.
static struct rlimit initial_nofile;
static bool have_initial_nofile;
// Who is forking: in a child, the pid of its parent at fork time.
static pid_t fork_parent;

static void atfork_prepare(void) {
	fork_parent = getpid();
}

static void atfork_child(void) {
	// No descriptor of ours survives an exec unless the child clears
	// close-on-exec on it after this (wlroots does for Xwayland's, and
	// dup2 does for the standard streams).
	swl_fds_cloexec_from(3);
	if (have_initial_nofile) {
		setrlimit(RLIMIT_NOFILE, &initial_nofile);
	}
	if (fork_parent != main_pid) {
		// Forked by a child of ours (wlroots' helper forking Xwayland):
		// that process outlives its parent on purpose.
		return;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != main_pid) {
		// spice-wl died before the line above took effect.
		_exit(127);
	}
}

bool swl_children_init(void) {
	main_pid = getpid();
	have_initial_nofile = getrlimit(RLIMIT_NOFILE, &initial_nofile) == 0;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
		wlr_log_errno(WLR_ERROR, "cannot become a child subreaper");
	}
	if (pthread_atfork(atfork_prepare, NULL, atfork_child) != 0) {
		wlr_log(WLR_ERROR, "pthread_atfork failed");
		return false;
	}
	return true;
}

bool swl_children_exec_prepare(int death_signal) {
	swl_fds_cloexec_from(3);
	if (prctl(PR_SET_PDEATHSIG, death_signal) != 0) {
		return false;
	}
	return getppid() == main_pid;
}

/* The parent pid in /proc/PID/stat, or -1. */
static pid_t parent_of(const char *pid) {
	char path[sizeof("/proc//stat") + 256], buf[512]; // 256: a d_name's size
	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return -1;
	}
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0) {
		return -1;
	}
	buf[n] = '\0';
	// "pid (comm) state ppid ...": comm may hold anything, even ')'.
	char *end = strrchr(buf, ')');
	char state;
	int ppid;
	if (end == NULL || sscanf(end + 1, " %c %d", &state, &ppid) != 2) {
		return -1;
	}
	return ppid;
}

/* Children already sent SIGTERM: a shell's trap runs once, not every scan. */
struct signalled {
	pid_t pids[256];
	size_t len;
};

static bool signalled_before(struct signalled *done, pid_t pid) {
	for (size_t i = 0; i < done->len; i++) {
		if (done->pids[i] == pid) {
			return true;
		}
	}
	if (done->len < sizeof(done->pids) / sizeof(done->pids[0])) {
		done->pids[done->len++] = pid;
	}
	return false;
}

/*
 * Sends sig to every child not sent it yet, and to the process group of a
 * child that leads one (COMMAND's, with the members that are not our
 * children).
 */
static void signal_children(int sig, struct signalled *done) {
	DIR *proc = opendir("/proc");
	if (proc == NULL) {
		return;
	}
	struct dirent *entry;
	while ((entry = readdir(proc)) != NULL) {
		if (entry->d_name[0] < '0' || entry->d_name[0] > '9' ||
				parent_of(entry->d_name) != main_pid) {
			continue;
		}
		pid_t pid = (pid_t)strtol(entry->d_name, NULL, 10);
		if (sig == SIGTERM && signalled_before(done, pid)) {
			continue;
		}
		if (getpgid(pid) == pid) {
			kill(-pid, sig);
		}
		kill(pid, sig);
	}
	closedir(proc);
}

static void children_exited(struct swl_server *server, pid_t pid, int status) {
	if (pid != server->command_pid) {
		// pactl, or an orphan that was reparented to us.
		swl_audio_child_exited(server->audio, pid, status);
		return;
	}
	server->command_pid = 0;
	if (WIFEXITED(status)) {
		server->exit_status = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		server->exit_status = 128 + WTERMSIG(status);
	}
	wlr_log(WLR_INFO, "command exited with status %d", server->exit_status);
	if (!server->options->keep_running) {
		swl_server_terminate(server);
	}
}

static int handle_reap_timer(void *data) {
	swl_children_reap(data);
	return 0;
}

void swl_children_reap(struct swl_server *server) {
	for (;;) {
		// Looks before reaping: wlroots reaps its Xwayland helper itself
		// when the helper's pipe says how the start went, and takes a
		// failed waitpid for a failed start.
		siginfo_t info = { 0 };
		if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) {
			return;
		}
		pid_t pid = info.si_pid;
		if (swl_xwayland_helper_pending(server->xwayland, pid)) {
			// The pipe is readable by now: wlroots reaps the helper in this
			// loop iteration. Children that exited behind it are reaped on
			// the next look.
			if (server->reap_timer == NULL) {
				server->reap_timer =
						wl_event_loop_add_timer(server->loop, handle_reap_timer, server);
			}
			if (server->reap_timer != NULL) {
				wl_event_source_timer_update(server->reap_timer, 10);
			}
			return;
		}
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			children_exited(server, pid, status);
		}
	}
}

/* Reaps what has exited; false once there is no child left. */
static bool reap_all(void) {
	for (;;) {
		pid_t pid = waitpid(-1, NULL, WNOHANG);
		if (pid == 0) {
			return true;
		}
		if (pid < 0) {
			return errno == EINTR;
		}
	}
}

bool swl_children_end(int grace_ms) {
	int64_t start = swl_clock_now(SWL_CLOCK_MS);
	int64_t next_scan = start;
	int sig = SIGTERM;
	struct signalled done = { .len = 0 };
	while (reap_all()) {
		int64_t now = swl_clock_now(SWL_CLOCK_MS);
		if (sig == SIGTERM && now >= start + grace_ms) {
			sig = SIGKILL;
			next_scan = now;
		}
		if (now >= start + grace_ms + KILL_WAIT_MS) {
			wlr_log(WLR_ERROR, "children still running %d ms after SIGKILL",
					KILL_WAIT_MS);
			return false;
		}
		if (now >= next_scan) {
			// Orphans reparent to us at any time: look again now and then.
			signal_children(sig, &done);
			next_scan = now + SCAN_INTERVAL_MS;
		}
		struct timespec ms = { .tv_nsec = 1000000 };
		nanosleep(&ms, NULL);
	}
	if (sig == SIGKILL) {
		wlr_log(WLR_ERROR, "children ignored SIGTERM for %d ms: killed", grace_ms);
	}
	return true;
}
