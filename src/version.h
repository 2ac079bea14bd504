/* normbench's version (the file VERSION, passed by the Makefile) and git
 * revision (build/gen/git-rev.h, rewritten when HEAD moves). */
#ifndef NB_VERSION_H
#define NB_VERSION_H

#include "git-rev.h"

#ifndef NB_VERSION
#error "NB_VERSION is set by the Makefile from the file VERSION"
#endif
#ifndef NB_CONFIG_DIR
#define NB_CONFIG_DIR "configs"
#endif
#ifndef NB_BUILD_FLAGS
#define NB_BUILD_FLAGS "unknown"
#endif

#endif
