/*
 * rxjanus.testing loopback-ICE shim (for tests only, never for production).
 *
 * Loaded into Janus with LD_PRELOAD. Janus (and libnice) skip every network
 * interface flagged IFF_LOOPBACK while gathering ICE candidates, so a stock
 * Janus never offers 127.0.0.1. This wrapper around getifaddrs() clears that
 * flag on every returned entry; together with ice_enforce_list = "lo" Janus
 * then offers only "127.0.0.1 ... typ host" candidates.
 *
 * Build: gcc -shared -fPIC -O2 -o shim.so shim.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stddef.h>

typedef int (*getifaddrs_fn)(struct ifaddrs **);

int getifaddrs(struct ifaddrs **ifap) {
	static getifaddrs_fn real_getifaddrs = NULL;
	if (real_getifaddrs == NULL) {
		real_getifaddrs = (getifaddrs_fn)dlsym(RTLD_NEXT, "getifaddrs");
		if (real_getifaddrs == NULL)
			return -1;
	}
	int rc = real_getifaddrs(ifap);
	if (rc == 0 && ifap != NULL) {
		for (struct ifaddrs *ifa = *ifap; ifa != NULL; ifa = ifa->ifa_next)
			ifa->ifa_flags &= ~(unsigned int)IFF_LOOPBACK;
	}
	return rc;
}
