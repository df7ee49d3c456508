/* Shared by berth-exec and berth-shim: whole writes and the plan's percent-encoding. */
#ifndef BERTH_WIRE_H
#define BERTH_WIRE_H

#include <stddef.h>

/* Writes all of buf, retrying short writes and EINTR; -1 with errno on failure. */
int write_all(int fd, const void *buf, size_t len);
/* native/PLAN.md's encoding of a value; truncates to fit `out`. */
void percent_encode(const char *in, char *out, size_t outlen);

#endif
