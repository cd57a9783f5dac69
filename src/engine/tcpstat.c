/* tcpstat: a TCP socket's byte counts from TCP_INFO (Linux 4.1 and later). */
#include "engine/tcpstat.h"

#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/tcp.h>

int tcpstat_read(int fd, uint64_t *acked, uint64_t *received)
{
    struct tcp_info ti;
    socklen_t n = sizeof(ti);
    memset(&ti, 0, sizeof(ti));
    if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &n) < 0 ||
        n < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(ti.tcpi_bytes_received))
        return -1;
    *acked = ti.tcpi_bytes_acked;
    *received = ti.tcpi_bytes_received;
    return 0;
}
