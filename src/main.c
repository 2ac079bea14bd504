#include "commands.h"

int main(int argc, char **argv)
{
    return normbench_main(argc, argv);
}
