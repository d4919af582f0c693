// An emulated /sys/class/gpio (the kernel's legacy sysfs GPIO ABI) as a FUSE filesystem, so the real `onoff` code
// can be run on a machine with no GPIO: mounted in a private mount namespace by test/drivers/gpio-onoff-fuse.test.ts.
// It follows Documentation/ABI/obsolete/sysfs-gpio and Documentation/admin-guide/gpio/sysfs.rst:
//   export, unexport           write a sysfs GPIO number to (un)export gpioN/
//   gpiochipB/{base,ngpio,label}
//   gpioN/direction            in | out | high | low   (high/low: output with that initial level)
//   gpioN/edge                 none | rising | falling | both
//   gpioN/active_low           0 | 1
//   gpioN/value                0 | 1; poll() reports POLLPRI|POLLERR after an edge until the value is read
// plus one test hook that real sysfs does not have:
//   gpioN/sim_level            write the electrical level seen on an input pin (a finger on the button)
// Chip: env GPIO_BASE (512), GPIO_NGPIO (58), GPIO_LABEL (pinctrl-bcm2711); GPIO_LOG names a file that gets
// every write. Build:
//   gcc -Wall -O2 sysfs-emulator.c $(pkg-config --cflags --libs fuse3) -o gpio-sysfs-emulator
#define FUSE_USE_VERSION 31
#include <fuse.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXLINES 128

struct line {
  int exported, out, edge, active_low, level, pending;
  struct fuse_pollhandle *ph;
};

static struct line lines[MAXLINES];
static int base = 512, ngpio = 58;
static const char *label = "pinctrl-bcm2711";
static char chipdir[32];
static FILE *oplog; /* env GPIO_LOG: every export, unexport and write, one line each, for the test to read */

static void logop(const char *path, const char *what) {
  if (!oplog) return;
  fprintf(oplog, "%s %s\n", path, what);
  fflush(oplog);
}

enum edge { EDGE_NONE, EDGE_RISING, EDGE_FALLING, EDGE_BOTH };
static const char *edge_names[] = {"none", "rising", "falling", "both"};
static const char *gpio_files[] = {"direction", "edge", "active_low", "value", "sim_level"};

/* "/gpio529/value" -> line index and file name; returns -1 when the path is not under an exported gpioN. */
static int parse_gpio(const char *path, const char **file) {
  int n, used = 0;
  if (sscanf(path, "/gpio%d%n", &n, &used) != 1) return -1;
  if (strncmp(path, "/gpiochip", 9) == 0) return -1;
  n -= base;
  if (n < 0 || n >= ngpio || n >= MAXLINES || !lines[n].exported) return -1;
  const char *rest = path + used;
  if (*rest == 0) *file = NULL;
  else if (*rest == '/') *file = rest + 1;
  else return -1;
  return n;
}

static int is_gpio_file(const char *f) {
  for (unsigned i = 0; i < sizeof gpio_files / sizeof *gpio_files; i++)
    if (strcmp(f, gpio_files[i]) == 0) return 1;
  return 0;
}

static int logical(const struct line *l) { return l->level ^ l->active_low; }

static void notify(struct line *l) {
  l->pending = 1;
  if (l->ph) {
    fuse_notify_poll(l->ph);
    fuse_pollhandle_destroy(l->ph);
    l->ph = NULL;
  }
}

static int e_getattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
  (void)fi;
  memset(st, 0, sizeof *st);
  const char *f = NULL;
  if (strcmp(path, "/") == 0 || strcmp(path, chipdir) == 0) {
    st->st_mode = S_IFDIR | 0755;
    st->st_nlink = 2;
    return 0;
  }
  if (strcmp(path, "/export") == 0 || strcmp(path, "/unexport") == 0) {
    st->st_mode = S_IFREG | 0200;
    st->st_size = 4096;
    return 0;
  }
  if (strncmp(path, chipdir, strlen(chipdir)) == 0 && path[strlen(chipdir)] == '/') {
    const char *name = path + strlen(chipdir) + 1;
    if (strcmp(name, "base") && strcmp(name, "ngpio") && strcmp(name, "label")) return -ENOENT;
    st->st_mode = S_IFREG | 0444;
    st->st_size = 4096;
    return 0;
  }
  int n = parse_gpio(path, &f);
  if (n < 0) return -ENOENT;
  if (!f) {
    st->st_mode = S_IFDIR | 0755;
    st->st_nlink = 2;
    return 0;
  }
  if (!is_gpio_file(f)) return -ENOENT;
  st->st_mode = S_IFREG | 0644;
  st->st_size = 4096;
  return 0;
}

static int e_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off, struct fuse_file_info *fi,
                     enum fuse_readdir_flags flags) {
  (void)off, (void)fi, (void)flags;
  fill(buf, ".", NULL, 0, 0);
  fill(buf, "..", NULL, 0, 0);
  if (strcmp(path, "/") == 0) {
    fill(buf, "export", NULL, 0, 0);
    fill(buf, "unexport", NULL, 0, 0);
    fill(buf, chipdir + 1, NULL, 0, 0);
    for (int i = 0; i < ngpio && i < MAXLINES; i++) {
      if (!lines[i].exported) continue;
      char name[32];
      snprintf(name, sizeof name, "gpio%d", base + i);
      fill(buf, name, NULL, 0, 0);
    }
    return 0;
  }
  if (strcmp(path, chipdir) == 0) {
    fill(buf, "base", NULL, 0, 0);
    fill(buf, "ngpio", NULL, 0, 0);
    fill(buf, "label", NULL, 0, 0);
    return 0;
  }
  const char *f = NULL;
  if (parse_gpio(path, &f) < 0 || f) return -ENOENT;
  for (unsigned i = 0; i < sizeof gpio_files / sizeof *gpio_files; i++) fill(buf, gpio_files[i], NULL, 0, 0);
  return 0;
}

static int e_open(const char *path, struct fuse_file_info *fi) {
  struct stat st;
  int r = e_getattr(path, &st, NULL);
  if (r) return r;
  // sysfs attributes are read fresh on every read at offset 0: no page cache.
  fi->direct_io = 1;
  return 0;
}

static int e_truncate(const char *path, off_t size, struct fuse_file_info *fi) {
  (void)size, (void)fi;
  struct stat st;
  return e_getattr(path, &st, NULL);
}

static int reply(char *buf, size_t size, off_t off, const char *text) {
  size_t len = strlen(text);
  if ((size_t)off >= len) return 0;
  if (size > len - off) size = len - off;
  memcpy(buf, text + off, size);
  return (int)size;
}

static int e_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
  (void)fi;
  char text[64];
  const char *f = NULL;
  if (strncmp(path, chipdir, strlen(chipdir)) == 0 && path[strlen(chipdir)] == '/') {
    const char *name = path + strlen(chipdir) + 1;
    if (!strcmp(name, "base")) snprintf(text, sizeof text, "%d\n", base);
    else if (!strcmp(name, "ngpio")) snprintf(text, sizeof text, "%d\n", ngpio);
    else snprintf(text, sizeof text, "%s\n", label);
    return reply(buf, size, off, text);
  }
  int n = parse_gpio(path, &f);
  if (n < 0 || !f) return -EIO;
  struct line *l = &lines[n];
  if (!strcmp(f, "direction")) snprintf(text, sizeof text, "%s\n", l->out ? "out" : "in");
  else if (!strcmp(f, "edge")) snprintf(text, sizeof text, "%s\n", edge_names[l->edge]);
  else if (!strcmp(f, "active_low")) snprintf(text, sizeof text, "%d\n", l->active_low);
  else if (!strcmp(f, "value")) {
    snprintf(text, sizeof text, "%d\n", logical(l));
    l->pending = 0; // reading the value acknowledges the edge, as sysfs_notify()'s reader does
  } else return -EACCES;
  return reply(buf, size, off, text);
}

static int word(const char *buf, size_t size, char *out, size_t outsz) {
  size_t n = size < outsz - 1 ? size : outsz - 1;
  memcpy(out, buf, n);
  out[n] = 0;
  while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' ')) out[--n] = 0;
  return (int)n;
}

static int e_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
  (void)off, (void)fi;
  char w[32];
  word(buf, size, w, sizeof w);
  logop(path, w);
  if (!strcmp(path, "/export") || !strcmp(path, "/unexport")) {
    char *end;
    long g = strtol(w, &end, 10);
    if (end == w || *end) return -EINVAL;
    int n = (int)g - base;
    if (n < 0 || n >= ngpio || n >= MAXLINES) return -EINVAL;
    struct line *l = &lines[n];
    if (path[1] == 'e') {
      if (l->exported) return -EBUSY;
      memset(l, 0, sizeof *l);
      l->exported = 1;
      l->level = 1; // inputs rest high (pull-up), like the Pi's default on most header pins
    } else {
      if (!l->exported) return -EINVAL;
      if (l->ph) fuse_pollhandle_destroy(l->ph);
      memset(l, 0, sizeof *l);
    }
    return (int)size;
  }
  const char *f = NULL;
  int n = parse_gpio(path, &f);
  if (n < 0 || !f) return -EIO;
  struct line *l = &lines[n];
  if (!strcmp(f, "direction")) {
    if (!strcmp(w, "in")) l->out = 0;
    else if (!strcmp(w, "out")) l->out = 1, l->level = 0;
    else if (!strcmp(w, "high")) l->out = 1, l->level = 1;
    else if (!strcmp(w, "low")) l->out = 1, l->level = 0;
    else return -EINVAL;
  } else if (!strcmp(f, "edge")) {
    int e = -1;
    for (int i = 0; i < 4; i++)
      if (!strcmp(w, edge_names[i])) e = i;
    if (e < 0) return -EINVAL;
    if (l->out && e != EDGE_NONE) return -EIO;
    l->edge = e;
  } else if (!strcmp(f, "active_low")) {
    l->active_low = strcmp(w, "0") != 0;
  } else if (!strcmp(f, "value")) {
    if (!l->out) return -EPERM;
    l->level = (strcmp(w, "0") != 0) ^ l->active_low;
  } else if (!strcmp(f, "sim_level")) {
    if (l->out) return -EPERM;
    int before = logical(l);
    l->level = strcmp(w, "0") != 0;
    int after = logical(l);
    if (before != after && (l->edge == EDGE_BOTH || (l->edge == EDGE_RISING && after) || (l->edge == EDGE_FALLING && !after)))
      notify(l);
  } else return -EACCES;
  return (int)size;
}

static int e_poll(const char *path, struct fuse_file_info *fi, struct fuse_pollhandle *ph, unsigned *reventsp) {
  (void)fi;
  const char *f = NULL;
  int n = parse_gpio(path, &f);
  if (n < 0 || !f || strcmp(f, "value")) {
    if (ph) fuse_pollhandle_destroy(ph);
    *reventsp = POLLIN | POLLOUT;
    return 0;
  }
  struct line *l = &lines[n];
  if (ph) {
    if (l->ph) fuse_pollhandle_destroy(l->ph);
    l->ph = ph;
  }
  *reventsp = POLLIN | POLLRDNORM | (l->pending ? POLLPRI | POLLERR : 0);
  return 0;
}

static void *e_init(struct fuse_conn_info *conn, struct fuse_config *cfg) {
  (void)conn;
  cfg->direct_io = 1;
  cfg->attr_timeout = 0;
  cfg->entry_timeout = 0;
  cfg->negative_timeout = 0;
  return NULL;
}

static const struct fuse_operations ops = {
    .init = e_init,
    .getattr = e_getattr,
    .readdir = e_readdir,
    .open = e_open,
    .truncate = e_truncate,
    .read = e_read,
    .write = e_write,
    .poll = e_poll,
};

int main(int argc, char *argv[]) {
  if (getenv("GPIO_BASE")) base = atoi(getenv("GPIO_BASE"));
  if (getenv("GPIO_NGPIO")) ngpio = atoi(getenv("GPIO_NGPIO"));
  if (getenv("GPIO_LABEL")) label = getenv("GPIO_LABEL");
  if (getenv("GPIO_LOG")) oplog = fopen(getenv("GPIO_LOG"), "a");
  snprintf(chipdir, sizeof chipdir, "/gpiochip%d", base);
  return fuse_main(argc, argv, &ops, NULL);
}
