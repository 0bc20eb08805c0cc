/*
 * An open-loop HTTP/1.1 load generator for `npm run bench`: requests at a fixed total rate, each keep-alive
 * connection sending on its own schedule (rate / connections per second, connection i starting i/connections
 * of an interval after connection 0, so that arrivals are spread evenly rather than in bursts), and every
 * latency measured from the moment the request was due, not from when it could be sent (a late server
 * cannot hide its delay by slowing the client down: no coordinated omission, as in wrk2). Written in C,
 * like wrk and h2load, so that it takes little of the machine from the server. Linux only (epoll, timerfd).
 *
 * Usage: openloop <host> <port> <request file> <requests/s> <connections> <warm-up s> <duration s>
 * The request file holds one whole HTTP/1.1 request (head and body). Prints one JSON line: requests
 * completed in the measured window, responses in all (warm-up included), non-2xx and errors in the
 * window, and the window's latency percentiles in milliseconds.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  int fd;
  int64_t next_due;   /* ns: when this connection's next request is due */
  int64_t sent_due;   /* ns: when the request in flight was due; 0 when idle */
  size_t written;     /* bytes of the request in flight written so far */
  char buf[65536];
  size_t have;
} conn_t;

static char *request;
static size_t request_len;
static int64_t *latencies;
static size_t recorded, capacity, non2xx, errors, responses;
static int64_t measure_from, measure_to;

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

static int connect_to(const char *host, int port) {
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) return -1;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(fd, F_SETFL, O_NONBLOCK);
  return fd;
}

/* Writes what is left of the request; 0 when it is all written, 1 when the socket is full, -1 on error. */
static int write_request(conn_t *c) {
  while (c->written < request_len) {
    ssize_t n = write(c->fd, request + c->written, request_len - c->written);
    if (n < 0) return errno == EAGAIN ? 1 : -1;
    c->written += (size_t)n;
  }
  return 0;
}

/* A whole response in the buffer: its length, else 0 (incomplete) or -1 (not one this tool can read). */
static long response_length(conn_t *c, int *status) {
  char *end = memmem(c->buf, c->have, "\r\n\r\n", 4);
  if (!end) return c->have == sizeof c->buf ? -1 : 0;
  size_t head = (size_t)(end - c->buf) + 4;
  if (c->have < 12 || memcmp(c->buf, "HTTP/1.1 ", 9) != 0) return -1;
  *status = atoi(c->buf + 9);
  long length = -1;
  for (char *line = memchr(c->buf, '\n', head); line && line < end; line = memchr(line + 1, '\n', (size_t)(end - line))) {
    if (strncasecmp(line + 1, "content-length:", 15) == 0) length = strtol(line + 16, NULL, 10);
  }
  if (length < 0 || head + (size_t)length > sizeof c->buf) return -1;
  return c->have >= head + (size_t)length ? (long)(head + (size_t)length) : 0;
}

int main(int argc, char **argv) {
  if (argc != 8) {
    fprintf(stderr, "usage: %s <host> <port> <request file> <requests/s> <connections> <warm-up s> <duration s>\n", argv[0]);
    return 2;
  }
  const char *host = argv[1];
  int port = atoi(argv[2]);
  double rate = atof(argv[4]);
  int connections = atoi(argv[5]);
  double warmup = atof(argv[6]), duration = atof(argv[7]);
  FILE *file = fopen(argv[3], "rb");
  if (!file || rate <= 0 || connections <= 0 || duration <= 0) {
    fprintf(stderr, "bad arguments\n");
    return 2;
  }
  fseek(file, 0, SEEK_END);
  request_len = (size_t)ftell(file);
  rewind(file);
  request = malloc(request_len);
  if (fread(request, 1, request_len, file) != request_len) return 2;
  fclose(file);

  capacity = (size_t)(rate * duration * 1.5) + 1024;
  latencies = malloc(capacity * sizeof *latencies);
  int64_t interval = (int64_t)(1e9 * connections / rate);
  int ep = epoll_create1(0);
  int timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  struct epoll_event tev = {.events = EPOLLIN, .data.u64 = (uint64_t)-1};
  epoll_ctl(ep, EPOLL_CTL_ADD, timer, &tev);
  conn_t *conns = calloc((size_t)connections, sizeof *conns);
  int64_t start = now_ns() + 10000000LL;
  measure_from = start + (int64_t)(warmup * 1e9);
  measure_to = measure_from + (int64_t)(duration * 1e9);
  for (int i = 0; i < connections; i++) {
    conns[i].fd = connect_to(host, port);
    if (conns[i].fd < 0) {
      fprintf(stderr, "cannot connect to %s:%d\n", host, port);
      return 1;
    }
    conns[i].next_due = start + interval * i / connections;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
  }

  struct epoll_event events[256];
  for (;;) {
    int64_t now = now_ns();
    int busy = 0;
    int64_t earliest = INT64_MAX;
    for (int i = 0; i < connections; i++) {
      conn_t *c = &conns[i];
      if (c->fd < 0) continue;
      if (c->sent_due == 0 && c->next_due < measure_to) {
        if (c->next_due <= now) {
          /* Due (or overdue: the previous response was late): send now, timed from when it was due. */
          c->sent_due = c->next_due;
          c->next_due += interval;
          c->written = 0;
          int r = write_request(c);
          if (r < 0) {
            errors++;
            close(c->fd);
            c->fd = -1;
            continue;
          }
          if (r > 0) {
            struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u64 = (uint64_t)i};
            epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
          }
        } else if (c->next_due < earliest) {
          earliest = c->next_due;
        }
      }
      if (c->sent_due) busy = 1;
    }
    if (!busy && earliest == INT64_MAX) break;
    if (now > measure_to + 5000000000LL) break; /* responses still missing 5 s after the end: errors */
    struct itimerspec spec = {0};
    int64_t wake = earliest == INT64_MAX ? now + 100000000LL : earliest;
    spec.it_value.tv_sec = wake / 1000000000LL;
    spec.it_value.tv_nsec = wake % 1000000000LL;
    timerfd_settime(timer, TFD_TIMER_ABSTIME, &spec, NULL);
    int n = epoll_wait(ep, events, 256, -1);
    for (int e = 0; e < n; e++) {
      if (events[e].data.u64 == (uint64_t)-1) {
        uint64_t expirations;
        if (read(timer, &expirations, sizeof expirations) < 0) { /* spurious: nothing to do */ }
        continue;
      }
      conn_t *c = &conns[events[e].data.u64];
      if (c->fd < 0) continue;
      if (events[e].events & EPOLLOUT) {
        int r = write_request(c);
        if (r == 0) {
          struct epoll_event ev = {.events = EPOLLIN, .data.u64 = events[e].data.u64};
          epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        }
      }
      if (!(events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      ssize_t got = read(c->fd, c->buf + c->have, sizeof c->buf - c->have);
      if (got <= 0) {
        if (got < 0 && errno == EAGAIN) continue;
        if (c->sent_due) errors++;
        close(c->fd);
        c->fd = -1;
        continue;
      }
      c->have += (size_t)got;
      int status = 0;
      long length;
      while ((length = response_length(c, &status)) > 0) {
        int64_t done = now_ns();
        responses++;
        if (c->sent_due >= measure_from && c->sent_due < measure_to) {
          if (recorded < capacity) latencies[recorded++] = done - c->sent_due;
          if (status < 200 || status > 299) non2xx++;
        }
        c->sent_due = 0;
        memmove(c->buf, c->buf + length, c->have - (size_t)length);
        c->have -= (size_t)length;
      }
      if (length < 0) {
        errors++;
        close(c->fd);
        c->fd = -1;
      }
    }
  }
  for (int i = 0; i < connections; i++) {
    if (conns[i].fd >= 0 && conns[i].sent_due) errors++;
  }
  qsort(latencies, recorded, sizeof *latencies, cmp);
#define AT(p) (recorded ? latencies[(size_t)((p) * (recorded - 1))] / 1e6 : 0.0)
  printf("{\"requests\":%zu,\"responses\":%zu,\"non2xx\":%zu,\"errors\":%zu,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f}\n",
         recorded, responses, non2xx, errors, AT(0.5), AT(0.9), AT(0.99), AT(0.999), AT(1.0));
  return 0;
}
