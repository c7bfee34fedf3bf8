/*
 * crelay: bench/udprelay's floor in C with Kamailio's process model.
 * WORKERS forked processes block in recvfrom on one shared UDP socket and
 * relay each datagram: from the UAS to the last address that was not the
 * UAS (the UAC), anything else to the UAS. No SIP work is done; what it
 * costs per call is the kernel's price for the call's datagrams when each
 * one wakes a blocked process.
 *
 *   cc -O2 -o crelay crelay.c && ./crelay 127.0.0.1:5060 127.0.0.1:5080 2
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

static int parse_addr(const char *s, struct sockaddr_in *sa) {
	char host[64];
	const char *colon = strrchr(s, ':');
	if (!colon || colon - s >= (long)sizeof host) return -1;
	memcpy(host, s, colon - s);
	host[colon - s] = 0;
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons(atoi(colon + 1));
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

int main(int argc, char **argv) {
	struct sockaddr_in me, uas, from;
	if (argc != 4 || parse_addr(argv[1], &me) || parse_addr(argv[2], &uas)) {
		fprintf(stderr, "usage: crelay LISTEN_IP:PORT UAS_IP:PORT WORKERS\n");
		return 2;
	}
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&me, sizeof me) < 0) {
		perror("crelay: bind");
		return 1;
	}
	/* The UAC's address, shared by the workers. */
	struct sockaddr_in *uac = mmap(NULL, sizeof *uac, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (uac == MAP_FAILED) {
		perror("crelay: mmap");
		return 1;
	}
	memset(uac, 0, sizeof *uac);
	for (int i = 1; i < atoi(argv[3]); i++)
		if (fork() == 0) break;
	static char buf[65536];
	for (;;) {
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
		if (n <= 0) continue;
		struct sockaddr_in to = uas;
		if (from.sin_port == uas.sin_port && from.sin_addr.s_addr == uas.sin_addr.s_addr) {
			to = *uac;
			if (to.sin_port == 0) continue;
		} else if (from.sin_port != uac->sin_port || from.sin_addr.s_addr != uac->sin_addr.s_addr) {
			*uac = from;
		}
		sendto(s, buf, n, 0, (struct sockaddr *)&to, sizeof to);
	}
}
