/* obsmon protocol v1 agent in C (POSIX sockets): load averages from /proc/loadavg, one report per
 * interval over one connection, reconnecting after errors. Build: cc -O2 -o obsmon-agent agent.c
 * Environment: OBSMON_HOST (127.0.0.1), OBSMON_PORT (7070), OBSMON_INTERVAL (10 s),
 * OBSMON_COUNT (reports, then exit; 0 = forever), OBSMON_NODE (host name). */
#define _POSIX_C_SOURCE 200809L
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *env(const char *name, const char *fallback) {
  const char *value = getenv(name);
  return value != NULL && *value != '\0' ? value : fallback;
}

static int dial(const char *host, const char *port) {
  struct addrinfo hints = {0}, *list, *ai;
  int fd = -1;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host, port, &hints, &list) != 0) return -1;
  for (ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) { close(fd); fd = -1; }
  }
  freeaddrinfo(list);
  return fd;
}

int main(void) {
  const char *host = env("OBSMON_HOST", "127.0.0.1"), *port = env("OBSMON_PORT", "7070");
  double interval = atof(env("OBSMON_INTERVAL", "10")), l1, l5, l15;
  long count = atol(env("OBSMON_COUNT", "0")), sent = 0;
  struct timespec pause = {(time_t)interval, (long)((interval - (time_t)interval) * 1e9)};
  char node[65] = {0}, line[256];
  int fd = -1, n, attempt;
  snprintf(node, sizeof node, "%s", env("OBSMON_NODE", ""));
  if (node[0] == '\0') gethostname(node, sizeof node - 1);
  signal(SIGPIPE, SIG_IGN); /* a closed connection must be an error return, not the end of the agent */
  while (count == 0 || sent < count) {
    FILE *f = fopen("/proc/loadavg", "r");
    if (f == NULL || fscanf(f, "%lf %lf %lf", &l1, &l5, &l15) != 3) {
      fprintf(stderr, "obsmon agent: cannot read /proc/loadavg\n");
    } else {
      n = snprintf(line, sizeof line, "%s %lld load1=%.2f load5=%.2f load15=%.2f\n", node, (long long)time(NULL), l1, l5, l15);
      /* A connection the bridge closed fails once: retry on a fresh one. */
      for (attempt = 1; attempt <= 2; attempt++) {
        if (fd < 0) fd = dial(host, port);
        if (fd >= 0 && send(fd, line, n, 0) == n) break;
        if (fd >= 0) close(fd);
        fd = -1;
        if (attempt == 2) fprintf(stderr, "obsmon agent: cannot send to %s:%s\n", host, port);
      }
    }
    if (f != NULL) fclose(f);
    if (++sent != count) nanosleep(&pause, NULL);
  }
  if (fd >= 0) close(fd);
  return 0;
}
