namespace GridTrain.Agent.Jobs.Commands;

/// <summary>
/// Runs a command job's program under a small <c>sh</c> supervisor that ends the job's whole process group when its
/// agent dies (the agent's end of the supervisor's standard input closes, even on SIGKILL), so an orphaned attempt
/// never trains on beside the attempt that replaces it. The supervisor passes the program's exit code (128+N for
/// signal N) through and ignores the stop signals the group gets; the program gets them, with /dev/null as its input.
/// A stop signal interrupts <c>wait</c> (which then returns 128+N while the program runs on), so it waits again while
/// the program lives, and once more after: a status the shell reaped but a wait has not yet reported is still the
/// program's (a program that ends before the first <c>wait</c> must not read as exit 0).
/// </summary>
internal static class AgentDeathWatch
{
    private const string Script = """
        exec 3<&0 </dev/null
        "$@" 3<&- &
        job=$!
        trap : HUP INT TERM
        (while read -r _ <&3; do :; done; kill -KILL 0) &
        watch=$!
        exec 3<&-
        while :; do
            wait "$job"; code=$?
            kill -0 "$job" 2>/dev/null || break
        done
        wait "$job" 2>/dev/null; late=$?
        [ "$late" -eq 127 ] || code=$late
        kill "$watch" 2>/dev/null
        exit "$code"
        """;

    /// <summary><paramref name="argv"/> under the supervisor.</summary>
    public static IReadOnlyList<string> Wrap(IReadOnlyList<string> argv) => ["/bin/sh", "-c", Script, "gridtrain-job", .. argv];
}
