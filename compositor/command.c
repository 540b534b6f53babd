/*
 * COMMAND: the program spice-wl runs in its session. It is started once the
 * Wayland socket and the SPICE port are ready; its exit ends the session
 * unless --keep-running.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wlr/util/log.h>
#include "server.h"

bool swl_command_spawn(struct swl_server *server, char *const argv[]) {
	// A pipe with O_CLOEXEC tells us whether execvp succeeded: it is closed
	// by a successful exec, or carries errno when exec fails.
	int status_pipe[2];
	if (pipe(status_pipe) != 0) {
		wlr_log_errno(WLR_ERROR, "pipe");
		return false;
	}
	for (int i = 0; i < 2; i++) {
		int flags = fcntl(status_pipe[i], F_GETFD);
		fcntl(status_pipe[i], F_SETFD, flags | FD_CLOEXEC);
	}

	pid_t pid = fork();
	if (pid < 0) {
		wlr_log_errno(WLR_ERROR, "fork");
		close(status_pipe[0]);
		close(status_pipe[1]);
		return false;
	}
	if (pid == 0) {
		close(status_pipe[0]);
		sigset_t set;
		sigemptyset(&set);
		sigprocmask(SIG_SETMASK, &set, NULL);
		signal(SIGPIPE, SIG_DFL);
		setsid();
		// Nothing of spice-wl's but the standard streams (and the status
		// pipe, until exec) reaches COMMAND; it gets SIGTERM if spice-wl
		// dies without ending it.
		int err = ESRCH;
		if (swl_children_exec_prepare(SIGTERM)) {
			execvp(argv[0], argv);
			err = errno;
		}
		ssize_t unused = write(status_pipe[1], &err, sizeof(err));
		(void)unused;
		_exit(127);
	}

	close(status_pipe[1]);
	int err = 0;
	ssize_t n;
	do {
		n = read(status_pipe[0], &err, sizeof(err));
	} while (n < 0 && errno == EINTR);
	close(status_pipe[0]);
	if (n == sizeof(err)) {
		fprintf(stderr, "spice-wl: cannot run '%s': %s\n", argv[0], strerror(err));
		waitpid(pid, NULL, 0);
		return false;
	}
	server->command_pid = pid;
	wlr_log(WLR_INFO, "started '%s' (pid %d)", argv[0], (int)pid);
	return true;
}

void swl_command_terminate(struct swl_server *server) {
	if (server->command_pid > 0) {
		// setsid() made the command a process group leader: end its children too.
		kill(-server->command_pid, SIGTERM);
	}
}
