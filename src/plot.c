#define _GNU_SOURCE /* posix_spawn_file_actions_addchdir_np */
#include "plot.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

int plot_run_gnuplot(const char *dir, const char *script, char *why, size_t whylen)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addchdir_np(&fa, dir);
    /* gnuplot's complaints go to a log beside the plots, not the user's terminal */
    posix_spawn_file_actions_addopen(&fa, 2, "gnuplot.log", O_WRONLY | O_CREAT | O_APPEND, 0666);
    char *argv[] = {"gnuplot", (char *)script, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        snprintf(why, whylen, "gnuplot could not be started: %s", strerror(rc));
        return -1;
    }
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(why, whylen, "gnuplot failed on %s (its messages are in plots/gnuplot.log)", script);
        return -1;
    }
    return 0;
}
