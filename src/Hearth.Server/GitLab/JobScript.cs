using System.Globalization;
using System.Text;

namespace Hearth.Server.GitLab;

/// <summary>
/// The shell script a GitLab job runs as (POSIX sh, so busybox images run it too), built on the server into the task's
/// command, so a CI job goes through the same lifecycle, agent protocol and drivers as any task. As gitlab-runner does:
/// each line is echoed as <c>$ line</c> before it runs and the first failing line ends the script with its exit code;
/// file-type variables become files the variable names; after_script runs always, with its own timeout and
/// <c>CI_JOB_STATUS</c> (success, failed, canceled), also when the job is stopped (its TERM is trapped); the script's
/// exit code is the job's.
/// </summary>
public static class JobScript
{
    public static string Build(
        IReadOnlyList<string> script,
        IReadOnlyList<string> afterScript,
        TimeSpan afterScriptTimeout,
        IReadOnlyList<string> fileVariables
    )
    {
        var s = new StringBuilder();
        s.Append("hearth_canceled=0\n");
        // The checkout is the working directory (the agent's workspace), as gitlab-runner's CI_PROJECT_DIR.
        s.Append("CI_PROJECT_DIR=\"${CI_PROJECT_DIR:-$PWD}\"; export CI_PROJECT_DIR\n");
        if (fileVariables.Count > 0)
        {
            s.Append("hearth_files=$(mktemp -d)\n");
            foreach (var name in fileVariables)
                s.Append(
                    CultureInfo.InvariantCulture,
                    $"printf '%s' \"${{{name}}}\" > \"$hearth_files/{name}\"; {name}=\"$hearth_files/{name}\"; export {name}\n"
                );
        }
        // The script runs in a child shell, so a TERM (a cancel, a timeout) reaches the trap here while it runs.
        s.Append("trap 'hearth_canceled=1; kill -TERM $hearth_main 2>/dev/null' TERM INT\n");
        s.Append("(\nset -e\n");
        AppendLines(s, script);
        s.Append(") &\nhearth_main=$!\n");
        s.Append("wait $hearth_main; hearth_rc=$?\n");
        s.Append("while kill -0 $hearth_main 2>/dev/null; do wait $hearth_main; hearth_rc=$?; done\n");
        s.Append("trap '' TERM INT\n");
        if (afterScript.Count > 0)
        {
            s.Append(
                "if [ $hearth_canceled = 1 ]; then CI_JOB_STATUS=canceled; elif [ $hearth_rc = 0 ]; then CI_JOB_STATUS=success; "
            );
            s.Append("else CI_JOB_STATUS=failed; fi\nexport CI_JOB_STATUS\n");
            s.Append("echo 'Running after_script'\n(\nset -e\n");
            AppendLines(s, afterScript);
            s.Append(") &\nhearth_after=$!\n");
            s.Append(
                CultureInfo.InvariantCulture,
                $"( sleep {(long)afterScriptTimeout.TotalSeconds}; kill -KILL $hearth_after 2>/dev/null ) & hearth_watch=$!\n"
            );
            s.Append("wait $hearth_after || echo \"after_script failed (exit code $?)\"\n");
            s.Append("kill $hearth_watch 2>/dev/null\n");
        }
        if (fileVariables.Count > 0)
            s.Append("rm -rf \"$hearth_files\"\n");
        s.Append("exit $hearth_rc\n");
        return s.ToString();
    }

    private static void AppendLines(StringBuilder s, IReadOnlyList<string> lines)
    {
        foreach (var line in lines)
        {
            s.Append("printf '%s\\n' ").Append(Quote("$ " + line)).Append('\n');
            s.Append(line).Append('\n');
        }
    }

    /// <summary>A shell word that is exactly <paramref name="text"/>: single quotes, each ' written as '\''.</summary>
    public static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
