/*
 * The scripted byte source shared by fuzz_lines' in-memory transport and
 * its reference model, and the model itself.
 *
 * A script is what the fuzz input describes: the bytes of the stream (or
 * the messages, in datagram mode) and the events between them. Both the
 * transport (which feeds lib/src/linebuf.c) and the model read the same script,
 * each with its own cursor.
 */
#ifndef SP_FUZZ_MODEL_H
#define SP_FUZZ_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum fz_ev_kind {
  FZ_EV_DATA,    /* bytes (stream) or one message, possibly empty (dgram) */
  FZ_EV_EAGAIN,  /* non-blocking, nothing ready: -EAGAIN, once */
  FZ_EV_TIMEOUT, /* blocking, the timeout ran out: -ETIMEDOUT, once */
  FZ_EV_EOF,     /* end of stream: SP_EOF, for ever */
  FZ_EV_EOF0,    /* end of stream told as 0 (stream: fill returns 0;
                    dgram: next_size says 0, then fill says SP_EOF) */
  FZ_EV_ERROR,   /* a hard error: -ECONNRESET, once */
  FZ_EV_BREACH   /* the source returns more than it was given room for */
} fz_ev_kind;

typedef struct fz_event {
  fz_ev_kind kind;
  size_t off; /* DATA: its bytes are script.bytes[off .. off+len) */
  size_t len;
} fz_event;

typedef struct fz_script {
  int dgram;           /* datagram mode */
  int no_at_eof;       /* the source has no at_eof callback */
  int empty_is_eagain; /* after the last event: -EAGAIN, else SP_EOF */
  size_t chunk;        /* 0: the core's default */
  size_t line_max;     /* 0: none */
  size_t overestimate; /* dgram: next_size says this much more */
  uint8_t *bytes;      /* every DATA byte, in order */
  size_t nbytes;
  size_t cap;
  fz_event *ev;
  size_t nev;
  size_t evcap;
} fz_script;

/* ---- the reference model ---- */

typedef struct fz_model {
  const fz_script *s;
  size_t ev;   /* next event of the script */
  size_t used; /* stream mode: bytes of that event already delivered */
  size_t chunk;
  size_t line_max;
  const uint8_t *buf; /* unread bytes: a run of the script's bytes */
  size_t len;
  size_t *msg; /* dgram: remaining length of each unread message */
  size_t nmsg;
  size_t *msg_mem; /* the allocation behind msg */
  int eof;
  int timed_out;
  size_t rounds; /* read rounds made (fills, or statuses instead) */
} fz_model;

void fz_model_init(fz_model *m, const fz_script *s, size_t default_chunk);
void fz_model_free(fz_model *m);

/* The operations, each answering as the reference note says. Results are
 * the core's codes; *out points at the bytes returned (in the script). */
ssize_t fz_model_gets(fz_model *m, const uint8_t **out, ssize_t size);
ssize_t fz_model_getline(fz_model *m, const uint8_t **out);
ssize_t fz_model_read(fz_model *m, const uint8_t **out, size_t len);
int fz_model_eof(fz_model *m);
int fz_model_set_chunk(fz_model *m, size_t chunk);
void fz_model_set_line_max(fz_model *m, size_t max);

/* Makes read rounds until it has made rounds of them: the core made them
 * before failing with -ENOMEM, which the model never does. */
void fz_model_catch_up(fz_model *m, size_t rounds);

/* Unread bytes, and whether anything (bytes or an empty message) is. */
size_t fz_model_buffered(const fz_model *m);
int fz_model_pending(const fz_model *m);

#endif /* SP_FUZZ_MODEL_H */
