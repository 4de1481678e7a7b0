/* featvis-cuda: the command line. main finds the command word and hands the rest of the words to that
 * command (a dispatch table); each command parses its own options (args.h), calls the library
 * (include/featvis/featvis.h, host/app) and prints. Exit codes: 0 done, 1 failed, 2 bad usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*run)(const cli_argv *a);
} COMMANDS[] = {{"render", cmd_render},   {"interpolate", cmd_interpolate}, {"classify", cmd_classify},
                {"activations", cmd_activations}, {"layers", cmd_layers}, {"appendix", cmd_appendix},
                {"gallery", cmd_gallery}, {"figures", cmd_figures},   {"examples", cmd_examples}};

static int find_command(const char *name)
{
    for (int i = 0; name && i < (int)(sizeof COMMANDS / sizeof *COMMANDS); i++)
        if (!strcmp(name, COMMANDS[i].name)) return i;
    return -1;
}

/* Every option checked (the first bad one reported), nothing run: before a usage error about the
 * command itself, as the options come first on the line. 0, -1 (--help, --version done) or the code. */
static int check_options(const cli_argv *a)
{
    const char **pos;
    int npos, rc = cli_parse(a, NULL, 0, &pos, &npos);
    free(pos);
    return rc;
}

/* Run command k on the words without the command word (at `at`; 0: there is none). */
static int run(int k, const cli_argv *a, int at)
{
    cli_argv rest = *a;
    char **av = calloc(a->argc + 1, sizeof *av);
    if (!av) return fprintf(stderr, "featvis-cuda: out of memory\n"), 1;
    rest.argc = 0;
    for (int i = 0; i < a->argc; i++)
        if (i != at || !at) av[rest.argc++] = a->av[i];
    rest.av = av;
    int rc = COMMANDS[k].run(&rest);
    free(av);
    return rc;
}

/* `featvis-cuda --batch JOBS` is `render --batch JOBS`: with --batch, no command (or a first word that is
 * no command: an objective, which render --batch then refuses) means render. Another command with
 * --batch is bad usage. */
static int dispatch(const cli_argv *a)
{
    int batch, at = cli_find_command(a, &batch), rc;
    const char *word = at ? cli_word(a, a->av[at]) : NULL;
    const int k = find_command(word), render = find_command("render");
    if (batch && k != render) {
        if (k < 0) return run(render, a, 0);
        if ((rc = check_options(a))) return rc;
        return usage_error("--batch renders a job file (featvis-cuda --batch JOBS.txt, or render --batch); "
                           "it does not go with '%s'", word);
    }
    if (k >= 0) return run(k, a, at);
    if ((rc = check_options(a))) return rc;
    if (!word) {
        cli_usage(stderr);
        return 2;
    }
    return usage_error("unknown command '%s' (render, interpolate, classify, activations, layers, appendix, gallery, "
                       "figures, examples)", word);
}

int main(int argc, char **argv)
{
    cli_argv a;
    int rc = cli_argv_init(&a, argc, argv);
    if (!rc) rc = dispatch(&a);
    cli_argv_free(&a);
    return rc < 0 ? 0 : rc;
}
