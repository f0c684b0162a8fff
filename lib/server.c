#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "buf.h"
#include "cfg.h"
#include "db.h"
#include "err.h"
#include "http.h"
#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "route.h"
#include "server.h"
#include "util.h"

extern char **environ;

#define MAX_WORKERS	256
#define BODY_MAX	(1024 * 1024)	/* nginx enforces the same cap */
/*
 * The one exception (contract §1.1, §9.9): the attachment upload takes a
 * file of up to 10 MiB, plus room for the multipart framing and caption.
 * nginx's limit for that location is raised to the same value; the
 * messaging binary itself answers 413 for a file part over 10 MiB.
 */
#define UPLOAD_BODY_MAX	(11 * 1024 * 1024)

/* The body limit of r's route. */
static long
body_max(const struct req *r)
{
	const char	*m = req_env(r, "REQUEST_METHOD");
	const char	*path = req_env(r, "PATH_INFO");
	const char	*pre = "/api/messaging/conversations/", *s;
	size_t		 n = strlen(pre);

	if (m == NULL || strcmp(m, "POST") != 0 || path == NULL ||
	    strncmp(path, pre, n) != 0 ||
	    (s = strchr(path + n, '/')) == NULL || s == path + n ||
	    strcmp(s, "/attachments") != 0)
		return BODY_MAX;
	return UPLOAD_BODY_MAX;
}

static void	report_ready(void);

static volatile sig_atomic_t	stop_requested;
static volatile sig_atomic_t	reload_requested;

/* Takes a client's X-Request-Id when well formed, else makes one. */
static void
set_request_id(struct req *r)
{
	const char	*id = req_env(r, "HTTP_X_REQUEST_ID");
	size_t		 n, i;

	if (id != NULL && (n = strlen(id)) >= 1 && n <= 128) {
		for (i = 0; i < n; i++)
			if (!util_is_idchar(id[i]))
				break;
		if (i == n) {
			memcpy(r->request_id, id, n + 1);
			return;
		}
	}
	util_random_hex(r->request_id, 16);
}

/* Methods are labels of the metrics: keep their number bounded. */
static const char *
method_label(const char *m)
{
	static const char *const known[] = {
		"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS",
	};
	size_t	i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(m, known[i]) == 0)
			return known[i];
	return "OTHER";
}

static void
handle(const struct app *app, struct req *r)
{
	struct timespec	t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	set_request_id(r);
	log_set_request(r->request_id, r->remote_addr);
	route_dispatch(r, app->routes, app->nroutes);
	log_set_request(NULL, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	metrics_request(method_label(r->method), r->route ? r->route : "-",
	    r->status, (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
}

/* Length of the body announced by CONTENT_LENGTH; -1 when malformed. */
static long
content_length(const struct req *r)
{
	const char	*v = req_env(r, "CONTENT_LENGTH");
	char		*end;
	long		 n;

	if (v == NULL || *v == '\0')
		return 0;
	n = strtol(v, &end, 10);
	return (*end != '\0' || n < 0) ? -1 : n;
}

static int
run_cgi(const struct app *app)
{
	struct req	 r;
	struct buf	 o = { 0 };
	long		 len;

	req_init(&r, environ);
	len = content_length(&r);
	if (len < 0 || len > body_max(&r)) {
		set_request_id(&r);
		err_reply(&r, len < 0 ? ERR_VALIDATION : ERR_PAYLOAD_TOO_LARGE,
		    len < 0 ? "Bad Content-Length" : NULL);
	} else {
		r.body = malloc((size_t)len + 1);
		r.body_len = fread(r.body, 1, (size_t)len, stdin);
		r.body[r.body_len] = '\0';
		handle(app, &r);
	}
	http_serialize(&r, &o);
	fwrite(o.s, 1, o.len, stdout);
	fflush(stdout);
	buf_free(&o);
	req_free(&r);
	db_disconnect();
	return 0;
}

/*
 * TERM: finish the request in hand, then leave.  TERM is blocked except
 * while the worker waits in epoll_pwait() for a connection, so it can
 * never cut into accepting or reading a request (an interrupted read
 * would lose that request); a TERM that arrives mid-request waits until
 * the answer is out, then ends the loop.
 */
static void
worker_sigterm(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void
worker_loop(const struct app *app)
{
	FCGX_Request		 fr;
	struct sigaction	 sa;
	sigset_t		 term, waiting;
	struct req		 r;
	struct buf		 o = { 0 };
	struct epoll_event	 listen_ev = { .events = EPOLLIN | EPOLLEXCLUSIVE,
				    .data.fd = 0 };
	long			 len;
	char			*body;
	int			 ep;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, 0, 0) != 0) {
		log_errorx("FCGX_Init failed");
		_exit(1);
	}
	/* libfcgi installs its own TERM handler; ours must win. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = worker_sigterm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	if (app->init != NULL && app->init() != 0) {
		log_errorx("worker initialisation failed");
		_exit(1);
	}
	report_ready();
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	sigprocmask(SIG_BLOCK, &term, &waiting);
	/*
	 * The shared listening socket is non-blocking so that a worker that
	 * loses the race for a connection goes back to waiting instead of
	 * blocking in accept() with TERM masked.  (Accepted sockets do not
	 * inherit the flag.)  The workers wait on it with EPOLLEXCLUSIVE, so
	 * that a new connection wakes one of them, not all.
	 */
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, 0, &listen_ev) == -1) {
		log_warn("epoll");
		_exit(1);
	}
	while (!stop_requested) {
		struct epoll_event	ev;
		int			rc;

		if ((rc = epoll_pwait(ep, &ev, 1, -1, &waiting)) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("epoll_pwait");
			break;
		}
		if (rc == 0 || !(ev.events & EPOLLIN))
			continue;
		if ((rc = FCGX_Accept_r(&fr)) < 0) {
			if (rc == -EAGAIN || rc == -EWOULDBLOCK ||
			    rc == -EINTR || rc == -ECONNABORTED)
				continue;
			log_warnx("accept failed (%d)", rc);
			break;
		}
		req_init(&r, fr.envp);
		len = content_length(&r);
		if (len < 0 || len > body_max(&r)) {
			set_request_id(&r);
			err_reply(&r, len < 0 ? ERR_VALIDATION :
			    ERR_PAYLOAD_TOO_LARGE, len < 0 ?
			    "Bad Content-Length" : NULL);
		} else {
			body = xmalloc((size_t)len + 1);
			r.body = body;
			r.body_len = (size_t)(len > 0 ?
			    FCGX_GetStr(body, (int)len, fr.in) : 0);
			body[r.body_len] = '\0';
			handle(app, &r);
		}
		buf_reset(&o);
		http_serialize(&r, &o);
		FCGX_PutStr(o.s, (int)o.len, fr.out);
		FCGX_Finish_r(&fr);
		req_free(&r);
	}
	buf_free(&o);
	close(ep);
	FCGX_Free(&fr, 1);
	db_disconnect();
	exit(0);
}

/*
 * Workers are separate executions of the binary (fork + exec with
 * MM_SERVER_ROLE=worker), not plain forks of the supervisor: replacing the
 * workers after a deploy (HUP) then runs the new executable on disk while
 * the listening socket, which the supervisor holds, never closes.  Each
 * worker reports on a pipe when it is ready to accept, so a rollout stops
 * at the first new worker that cannot start and the old ones keep serving.
 */
struct worker {
	pid_t	pid;
	time_t	started;
};

static char	self_path[4096];

static void
master_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		stop_requested = 1;
}

/*
 * Starts a worker into w and waits up to 5 s for it to be ready.  Returns
 * 0 when it is, -1 when it died or hung (w->pid is then still set when it
 * is alive, so the caller can stop it).
 */
static int
spawn(struct worker *w)
{
	struct pollfd	pfd;
	char		fdstr[16], c;
	int		p[2], rc = -1;
	pid_t		pid;

	if (pipe2(p, O_CLOEXEC) == -1) {
		log_warn("pipe");
		return -1;
	}
	if ((pid = fork()) == -1) {
		log_warn("fork");
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		char	*argv[2] = { self_path, NULL };

		close(p[0]);
		fcntl(p[1], F_SETFD, 0);	/* keep it across exec */
		snprintf(fdstr, sizeof(fdstr), "%d", p[1]);
		setenv("MM_SERVER_ROLE", "worker", 1);
		setenv("MM_READY_FD", fdstr, 1);
		execv(self_path, argv);
		log_warn("exec %s", self_path);
		_exit(127);
	}
	close(p[1]);
	w->pid = pid;
	w->started = time(NULL);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	while (poll(&pfd, 1, 5000) == -1 && errno == EINTR)
		continue;
	if ((pfd.revents & POLLIN) && read(p[0], &c, 1) == 1)
		rc = 0;
	close(p[0]);
	return rc;
}

/* Tells the supervisor (if any) that this worker accepts requests. */
static void
report_ready(void)
{
	const char	*v = getenv("MM_READY_FD");
	int		 fd;

	if (v == NULL)
		return;
	fd = atoi(v);
	if (fd > 2) {
		if (write(fd, "1", 1) != 1)
			log_warn("ready pipe");
		close(fd);
	}
	unsetenv("MM_READY_FD");
	unsetenv("MM_SERVER_ROLE");
}

/* Waits up to secs for every worker to exit; returns how many remain. */
static int
reap(struct worker *ws, int n, int secs)
{
	int	i, left = 0, status;
	time_t	until = time(NULL) + secs;
	pid_t	pid;

	do {
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			for (i = 0; i < n; i++)
				if (ws[i].pid == pid)
					ws[i].pid = 0;
		for (left = 0, i = 0; i < n; i++)
			if (ws[i].pid > 0)
				left++;
		if (left > 0)
			usleep(20000);
	} while (left > 0 && time(NULL) < until);
	return left;
}

/*
 * Replaces the workers one at a time: a new one starts and reports ready
 * before an old one is asked to finish its request and leave, so the
 * socket always has workers accepting.
 */
static void
rollout(struct worker *ws, int n)
{
	struct worker	fresh;
	int		i;

	log_info("replacing %d workers with %s", n, self_path);
	for (i = 0; i < n && !stop_requested; i++) {
		memset(&fresh, 0, sizeof(fresh));
		if (spawn(&fresh) == -1) {
			log_errorx("a new worker did not start; keeping the "
			    "running ones");
			if (fresh.pid > 0)
				kill(fresh.pid, SIGKILL);
			return;
		}
		if (ws[i].pid > 0)
			kill(ws[i].pid, SIGTERM);	/* reaped by the loop */
		ws[i] = fresh;
	}
}

static int
run_master(const char *argv0)
{
	struct worker		 ws[MAX_WORKERS];
	struct sigaction	 sa;
	int			 n = cfg->workers, i, status, crashes = 0;
	pid_t			 pid;

	if (strchr(argv0, '/') == NULL || realpath(argv0, self_path) == NULL) {
		ssize_t	len = readlink("/proc/self/exe", self_path,
		    sizeof(self_path) - 1);

		self_path[len > 0 ? len : 0] = '\0';
	}
	memset(ws, 0, sizeof(ws));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = master_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	log_info("starting %d workers", n);
	for (i = 0; i < n; i++)
		if (spawn(&ws[i]) == -1)
			log_warnx("worker %ld is not ready", (long)ws[i].pid);

	while (!stop_requested) {
		pid = waitpid(-1, &status, 0);
		if (pid == -1 && errno == EINTR) {
			if (reload_requested && !stop_requested) {
				reload_requested = 0;
				rollout(ws, n);
			}
			continue;
		}
		if (pid <= 0) {
			sleep(1);
			continue;
		}
		for (i = 0; i < n; i++) {
			if (ws[i].pid != pid)
				continue;
			ws[i].pid = 0;
			if (stop_requested)
				break;
			if (WIFSIGNALED(status))
				log_warnx("worker %ld killed by signal %d",
				    (long)pid, WTERMSIG(status));
			else if (WEXITSTATUS(status) != 0)
				log_warnx("worker %ld exited with status %d",
				    (long)pid, WEXITSTATUS(status));
			/* A worker that dies at once: don't spin. */
			if (time(NULL) - ws[i].started < 1) {
				if (++crashes > 5)
					sleep(1);
			} else
				crashes = 0;
			if (spawn(&ws[i]) == -1)
				log_warnx("worker %ld is not ready",
				    (long)ws[i].pid);
			break;
		}
	}
	log_info("stopping workers");
	for (i = 0; i < n; i++)
		if (ws[i].pid > 0)
			kill(ws[i].pid, SIGTERM);
	if (reap(ws, n, 10) > 0) {
		for (i = 0; i < n; i++)
			if (ws[i].pid > 0)
				kill(ws[i].pid, SIGKILL);
		reap(ws, n, 2);
	}
	return 0;
}

static void
usage(const char *prog)
{
	fprintf(stderr, "usage: %s [--check | --routes | --route-table]\n"
	    "  Under spawn-fcgi: serves FastCGI with MM_WORKERS workers.\n"
	    "  From a shell: serves one CGI request described by the\n"
	    "  environment (REQUEST_METHOD, PATH_INFO, QUERY_STRING, ...).\n"
	    "  --check   validate the configuration and print it\n"
	    "  --routes  print the route table\n"
	    "  --route-table  the same, tab-separated with the binary name,\n"
	    "            auth level and public/internal (for the route list)\n",
	    prog);
}

int
server_main(const struct app *app, int argc, char **argv)
{
	char	errbuf[512];
	int	lvl;
	size_t	i;

	if (argc > 1 && strcmp(argv[1], "--routes") == 0) {
		for (i = 0; i < app->nroutes; i++)
			printf("%s %s\n", app->routes[i].method,
			    app->routes[i].pattern);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "--route-table") == 0) {
		for (i = 0; i < app->nroutes; i++) {
			unsigned	f = app->routes[i].flags;

			printf("%s\t%s\t%s\t%s\t%s\n", app->name,
			    app->routes[i].method, app->routes[i].pattern,
			    (f & R_AUTH_REQUIRED) ? "required" :
			    (f & R_AUTH_OPTIONAL) ? "optional" : "none",
			    (f & R_NO_LIMIT) ? "internal" : "public");
		}
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "--check") != 0) {
		usage(argv[0]);
		return 2;
	}
	if (cfg_load(errbuf, sizeof(errbuf)) == -1) {
		fprintf(stderr, "%s: configuration error: %s\n", app->name,
		    errbuf);
		return 1;
	}
	if ((lvl = log_level_parse(cfg->log_level)) < 0) {
		fprintf(stderr, "%s: configuration error: MM_LOG_LEVEL: "
		    "expected error, warn, info or debug\n", app->name);
		return 1;
	}
	if (argc > 1) {
		cfg_dump();
		return 0;
	}
	log_init(app->name, (enum log_level)lvl);
	metrics_init(app->name);
	db_set_application(app->name);
	srand((unsigned)(time(NULL) ^ getpid()));
	if (getenv("MM_SERVER_ROLE") != NULL &&
	    strcmp(getenv("MM_SERVER_ROLE"), "worker") == 0) {
		srand((unsigned)(time(NULL) ^ getpid()));
		worker_loop(app);
	}
	if (FCGX_IsCGI())
		return run_cgi(app);
	return run_master(argv[0]);
}
