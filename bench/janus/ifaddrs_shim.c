/* LD_PRELOAD shim for the bench's Janus: ICE on 127.0.0.1 and nowhere else.
 *
 * Janus's ICE setup skips every interface flagged IFF_LOOPBACK, even when told to use only
 * "lo", so on loopback it would gather no candidate at all. This getifaddrs() clears that flag
 * on "lo" and marks every other interface down, so Janus (and only the process this is
 * preloaded into) offers 127.0.0.1 and can never touch the machine's other addresses.
 * Entries are edited in place, never unlinked: freeifaddrs() frees glibc's single block.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stddef.h>
#include <string.h>

typedef int (*getifaddrs_fn)(struct ifaddrs **);

int getifaddrs(struct ifaddrs **result) {
    static getifaddrs_fn real = NULL;
    if (real == NULL) {
        real = (getifaddrs_fn)dlsym(RTLD_NEXT, "getifaddrs");
        if (real == NULL) {
            return -1;
        }
    }
    int status = real(result);
    if (status != 0 || result == NULL) {
        return status;
    }
    for (struct ifaddrs *ifa = *result; ifa != NULL; ifa = ifa->ifa_next) {
        if (ifa->ifa_name != NULL && strcmp(ifa->ifa_name, "lo") == 0) {
            ifa->ifa_flags &= ~(unsigned int)IFF_LOOPBACK;
        } else {
            ifa->ifa_flags &= ~(unsigned int)(IFF_UP | IFF_RUNNING);
        }
    }
    return status;
}
