/* normbench's version and git revision, set by the Makefile; these
 * defaults serve a build that does not pass them. */
#ifndef NB_VERSION_H
#define NB_VERSION_H

#ifndef NB_VERSION
#define NB_VERSION "0.1.0"
#endif
#ifndef NB_GIT_REV
#define NB_GIT_REV "unknown"
#endif
#ifndef NB_BUILD_FLAGS
#define NB_BUILD_FLAGS "unknown"
#endif

#endif
