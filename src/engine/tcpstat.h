/* tcpstat: a TCP socket's own byte counts, from the kernel (TCP_INFO). */
#ifndef WSGATE_TCPSTAT_H
#define WSGATE_TCPSTAT_H

#include <stdint.h>

/* Reads the bytes the peer acknowledged (tcpi_bytes_acked) and the bytes
 * received (tcpi_bytes_received) on the connected TCP socket fd: payload
 * of the TCP segments (HTTP upgrade, WebSocket frame headers and payloads,
 * TLS records), no IP or TCP headers. Returns 0, or -1 when fd is not a
 * TCP socket or the kernel is too old to count them. */
int tcpstat_read(int fd, uint64_t *acked, uint64_t *received);

#endif
