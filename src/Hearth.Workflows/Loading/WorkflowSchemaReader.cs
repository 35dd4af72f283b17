using Hearth.Core.Runs;
using Hearth.Kdl;
using Hearth.Workflows.Conditions;
using Hearth.Workflows.Diagnostics;
using Hearth.Workflows.Model;

namespace Hearth.Workflows.Loading;

/// <summary>
/// Reads the Vulcan format from a parsed KDL document. Stricter than Vulcan: unknown nodes, repeated
/// nodes, non-string values and extra arguments are errors rather than silently ignored, because each
/// of those silently changed what ran.
/// </summary>
internal sealed partial class WorkflowSchemaReader
{
    private readonly string _file;
    private readonly DiagnosticBag _diagnostics;
    private readonly IReadOnlySet<string>? _extraVariables;

    public WorkflowSchemaReader(string file, DiagnosticBag diagnostics, IReadOnlySet<string>? extraVariables)
    {
        _file = file;
        _diagnostics = diagnostics;
        _extraVariables = extraVariables;
    }

    public WorkflowSyntax? ReadWorkflow(KdlDocument document)
    {
        KdlNode? version = null,
            triggers = null,
            chain = null;
        var schedules = new List<WorkflowSchedule>();
        var scheduleReader = new ScheduleNodeReader(_file, _diagnostics);
        foreach (var node in document.Nodes)
        {
            switch (node.Name)
            {
                case "version":
                    Single(ref version, node);
                    break;
                case "schedule":
                    if (scheduleReader.Read(node) is { } schedule)
                        schedules.Add(schedule);
                    break;
                case "triggers":
                    Single(ref triggers, node);
                    break;
                case "chain":
                    Single(ref chain, node);
                    break;
                case "fragment" or "parallel":
                    Error(
                        WorkflowErrorCode.UnknownNode,
                        node,
                        $"'{node.Name}' must be inside 'chain {{ }}' in a workflow file (only imported fragment files have fragments at the top)"
                    );
                    break;
                default:
                    Error(
                        WorkflowErrorCode.UnknownNode,
                        node,
                        $"unknown top-level node '{node.Name}'; expected version, triggers, schedule or chain"
                    );
                    break;
            }
        }

        var start = new SourceLocation(_file, 1, 1);
        string? versionText = null;
        if (version is null)
        {
            _diagnostics.Add(
                WorkflowErrorCode.MissingRequired,
                start,
                "missing required node 'version' (write: version \"0.1\")"
            );
        }
        else if ((versionText = SingleString(version)) is not null && versionText != "0.1")
        {
            Error(
                WorkflowErrorCode.UnsupportedVersion,
                version.Arguments[0],
                $"unsupported version \"{versionText}\"; the only supported version is \"0.1\""
            );
        }

        var triggerList = new List<string>();
        var triggerFilters = new Dictionary<string, TriggerFilter>(StringComparer.Ordinal);
        if (triggers is null)
        {
            _diagnostics.Add(
                WorkflowErrorCode.MissingRequired,
                start,
                "missing required node 'triggers' (for example: triggers \"push\" \"pull_request\")"
            );
        }
        else
        {
            ReadTriggers(triggers, triggerList, triggerFilters);
            if (schedules.Count > 0 && !triggerList.Contains("schedule"))
                _diagnostics.Add(
                    WorkflowErrorCode.InvalidTrigger,
                    schedules[0].Location,
                    "'schedule' needs \"schedule\" among the triggers (triggers \"push\" \"schedule\")"
                );
        }

        string? machine = null;
        KdlNode? chainAttempts = null;
        var items = new List<ChainItemSyntax>();
        if (chain is null)
        {
            _diagnostics.Add(WorkflowErrorCode.MissingRequired, start, "missing required node 'chain { }'");
        }
        else
        {
            NoEntries(chain);
            if (chain.Children.Count == 0)
            {
                Error(
                    WorkflowErrorCode.MissingRequired,
                    chain,
                    "'chain' needs a block with a machine and at least one fragment: chain { machine \"…\"; fragment { run \"…\" } }"
                );
            }

            KdlNode? machineNode = null;
            foreach (var child in chain.Children)
            {
                if (child.Name == "machine")
                {
                    Single(ref machineNode, child);
                    continue;
                }
                if (child.Name == "attempts")
                {
                    Single(ref chainAttempts, child);
                    continue;
                }

                var item = ReadItem(child, "chain");
                if (item is not null)
                {
                    items.Add(item);
                }
            }

            if (machineNode is null)
            {
                if (chain.Children.Count > 0)
                {
                    Error(
                        WorkflowErrorCode.MissingRequired,
                        chain,
                        "'chain' needs a default machine group: machine \"…\""
                    );
                }
            }
            else
            {
                machine = SingleString(machineNode);
            }
        }

        return versionText == "0.1" && triggers is not null && machine is not null
            ? new WorkflowSyntax(
                At(chain!),
                versionText,
                triggerList,
                machine,
                items,
                chainAttempts is null ? null : ReadAttempts(chainAttempts)
            )
            {
                TriggerFilters = triggerFilters,
                Schedules = schedules,
            }
            : null;
    }

    /// <summary>An imported file: only fragment and parallel nodes at the top.</summary>
    public List<ChainItemSyntax> ReadFragmentFile(KdlDocument document)
    {
        var items = new List<ChainItemSyntax>();
        foreach (var node in document.Nodes)
        {
            if (node.Name is not ("fragment" or "parallel"))
            {
                Error(
                    WorkflowErrorCode.InvalidImportNode,
                    node,
                    $"an imported file may contain only fragment and parallel nodes, not '{node.Name}'"
                );
                continue;
            }

            var item = ReadItem(node, "file");
            if (item is not null)
            {
                items.Add(item);
            }
        }

        return items;
    }

    private ChainItemSyntax? ReadItem(KdlNode node, string container)
    {
        switch (node.Name)
        {
            case "fragment":
                return ReadFragment(node);
            case "parallel":
                NoEntries(node);
                var children = new List<ChainItemSyntax>();
                foreach (var child in node.Children)
                {
                    if (child.Name is "fragment" or "parallel")
                    {
                        var item = ReadItem(child, "parallel");
                        if (item is not null)
                        {
                            children.Add(item);
                        }
                    }
                    else
                    {
                        Error(
                            WorkflowErrorCode.UnknownNode,
                            child,
                            $"'{child.Name}' is not allowed in 'parallel'; it may contain only fragment and parallel (put machine or condition on each fragment)"
                        );
                    }
                }

                return new ParallelSyntax(At(node), children);
            default:
                Error(
                    WorkflowErrorCode.UnknownNode,
                    node,
                    $"unknown node '{node.Name}' in '{container}'; expected fragment or parallel"
                );
                return null;
        }
    }

    private FragmentSyntax? ReadFragment(KdlNode node)
    {
        NoEntries(node);
        KdlNode? run = null,
            from = null,
            machine = null,
            condition = null,
            lockNode = null,
            secretsNode = null,
            attemptsNode = null,
            retryNode = null;
        bool unknownChildren = false;
        foreach (var child in node.Children)
        {
            switch (child.Name)
            {
                case "run":
                    Single(ref run, child);
                    break;
                case "from":
                    Single(ref from, child);
                    break;
                case "machine":
                    Single(ref machine, child);
                    break;
                case "condition":
                    Single(ref condition, child);
                    break;
                case "lock":
                    Single(ref lockNode, child);
                    break;
                case "secrets":
                    Single(ref secretsNode, child);
                    break;
                case "attempts":
                    Single(ref attemptsNode, child);
                    break;
                case "retry-on-exit":
                    Single(ref retryNode, child);
                    break;
                default:
                    unknownChildren = true;
                    Error(
                        WorkflowErrorCode.UnknownNode,
                        child,
                        $"unknown node '{child.Name}' in 'fragment'; expected run, from, machine, condition, lock, secrets, attempts or retry-on-exit"
                    );
                    break;
            }
        }

        if (run is not null && from is not null)
        {
            Error(WorkflowErrorCode.MutualExclusion, from, "a fragment has either 'run' or 'from', not both");
            return null;
        }

        if (run is null && from is null)
        {
            // An unknown child (a typo such as 'rn') already explains the missing content.
            if (unknownChildren)
            {
                return null;
            }

            Error(
                WorkflowErrorCode.NoContent,
                node,
                "a fragment needs 'run \"…\"' (a script) or 'from \"…\"' (an import)"
            );
            return null;
        }

        string? script = run is null ? null : SingleString(run);
        if (script is not null && string.IsNullOrWhiteSpace(script))
        {
            Error(WorkflowErrorCode.InvalidValue, run!.Arguments[0], "'run' must not be empty");
            script = null;
        }

        string? source = from is null ? null : SingleString(from);
        string? machineName = machine is null ? null : SingleString(machine);
        if (machineName is not null && machineName.Length == 0)
        {
            Error(WorkflowErrorCode.InvalidValue, machine!.Arguments[0], "'machine' must not be empty");
        }

        string? lockName = lockNode is null ? null : SingleString(lockNode);
        if (lockName is not null && !Hearth.Core.Locks.LockNames.IsValid(lockName))
        {
            Error(
                WorkflowErrorCode.InvalidValue,
                lockNode!.Arguments[0],
                Hearth.Core.Names.Names.Lock.Problem(lockName)!
            );
            lockName = null;
        }
        if (lockName is not null && from is not null)
        {
            Error(
                WorkflowErrorCode.InvalidValue,
                lockNode!,
                "'lock' applies to a fragment that runs a script, not to an import: put it in the imported file's fragments"
            );
            lockName = null;
        }

        var secretNames = secretsNode is null ? null : ReadSecretNames(secretsNode);
        if (secretNames is not null && from is not null)
        {
            Error(
                WorkflowErrorCode.InvalidValue,
                secretsNode!,
                "'secrets' applies to a fragment that runs a script, not to an import: put it in the imported file's fragments"
            );
            secretNames = null;
        }

        var attempts = attemptsNode is null ? null : ReadAttempts(attemptsNode);
        var retryCodes = retryNode is null ? null : ReadExitCodes(retryNode);
        foreach (var (given, name) in new[] { (attemptsNode, "attempts"), (retryNode, "retry-on-exit") })
        {
            if (given is null || from is null)
                continue;
            Error(
                WorkflowErrorCode.InvalidValue,
                given,
                $"'{name}' applies to a fragment that runs a script, not to an import: put it in the imported file's fragments, or 'attempts' in the chain"
            );
            attempts = name == "attempts" ? null : attempts;
            retryCodes = name == "retry-on-exit" ? null : retryCodes;
        }

        Condition? parsed = null;
        if (condition is not null && SingleString(condition) is { } text)
        {
            try
            {
                parsed = Condition.Parse(text, _extraVariables);
            }
            catch (ConditionSyntaxException ex)
            {
                Error(
                    WorkflowErrorCode.InvalidCondition,
                    condition.Arguments[0],
                    $"invalid condition \"{text}\": {ex.Message}"
                );
            }
        }

        if ((run is not null && script is null) || (from is not null && source is null))
        {
            return null;
        }

        return new FragmentSyntax(
            At(node),
            script,
            source,
            from is null ? default : At(from.Arguments[0]),
            machineName,
            parsed,
            lockName,
            secretNames,
            attempts,
            retryCodes
        );
    }

    /// <summary>
    /// `secrets "db-password" "deploy-key"`: names of secrets the step's environment gets (checked by the server).
    /// </summary>
    private List<string>? ReadSecretNames(KdlNode node)
    {
        NoProperties(node);
        NoChildren(node);
        var names = new List<string>();
        foreach (var argument in node.Arguments)
        {
            if (argument.AsString() is { Length: > 0 } name && Hearth.Core.Names.Names.Secret.IsValid(name))
                names.Add(name);
            else
                Error(
                    WorkflowErrorCode.InvalidValue,
                    argument,
                    $"'{argument}' is not a secret name ({Hearth.Core.Names.Names.Secret.Expected})"
                );
        }
        if (node.Arguments.Count == 0)
            Error(WorkflowErrorCode.MissingRequired, node, "'secrets' needs at least one secret name");
        return names.Count > 0 ? names : null;
    }

    /// <summary>`attempts 3`: attempts in all, the first included, for a step whose agent is lost (1 to 100).</summary>
    private int? ReadAttempts(KdlNode node)
    {
        NoProperties(node);
        NoChildren(node);
        if (node.Arguments.Count != 1)
        {
            Error(
                WorkflowErrorCode.InvalidValue,
                node,
                $"'attempts' takes one whole number (attempts in all, 1 to {RetryPolicy.AttemptsLimit}): attempts 3"
            );
            return null;
        }
        if (WholeNumber(node.Arguments[0]) is not { } n || n < 1 || n > RetryPolicy.AttemptsLimit)
        {
            Error(
                WorkflowErrorCode.InvalidValue,
                node.Arguments[0],
                $"'attempts' must be a whole number from 1 (never retried) to {RetryPolicy.AttemptsLimit}; found {node.Arguments[0]}"
            );
            return null;
        }
        return (int)n;
    }

    /// <summary>`retry-on-exit 75 1`: exit codes of the script that retry the step (1 to 255).</summary>
    private List<int>? ReadExitCodes(KdlNode node)
    {
        NoProperties(node);
        NoChildren(node);
        var codes = new List<int>();
        foreach (var argument in node.Arguments)
        {
            if (WholeNumber(argument) is { } n && n is >= 1 and <= 255)
                codes.Add((int)n);
            else
                Error(
                    WorkflowErrorCode.InvalidValue,
                    argument,
                    $"'retry-on-exit' takes failing exit codes (whole numbers 1 to 255); found {argument}"
                );
        }
        if (node.Arguments.Count == 0)
            Error(
                WorkflowErrorCode.MissingRequired,
                node,
                "'retry-on-exit' needs at least one exit code: retry-on-exit 75"
            );
        return codes.Count > 0 ? codes.Distinct().Order().ToList() : null;
    }

    private static long? WholeNumber(KdlValue value) =>
        value is KdlNumber number && number.TryGetInt64(out var n) ? n : null;

    /// <summary>The node's one string argument, or null after reporting why there is none.</summary>
    private string? SingleString(KdlNode node)
    {
        NoProperties(node);
        NoChildren(node);
        if (node.Arguments.Count == 0)
        {
            Error(WorkflowErrorCode.MissingRequired, node, $"'{node.Name}' needs a string value");
            return null;
        }

        if (node.Arguments.Count > 1)
        {
            Error(
                WorkflowErrorCode.InvalidValue,
                node.Arguments[1],
                $"'{node.Name}' takes one value but has {node.Arguments.Count}; separate nodes on one line with ';' (for example: run \"make\"; machine \"linux\")"
            );
            return null;
        }

        if (node.Arguments[0].AsString() is not { } value)
        {
            Error(
                WorkflowErrorCode.InvalidValue,
                node.Arguments[0],
                $"'{node.Name}' must be a string; write \"{node.Arguments[0]}\""
            );
            return null;
        }

        return value;
    }

    private void Single(ref KdlNode? slot, KdlNode node)
    {
        if (slot is null)
        {
            slot = node;
            return;
        }

        Error(
            WorkflowErrorCode.DuplicateNode,
            node,
            $"'{node.Name}' is given twice (first at line {slot.Location.Line})"
        );
    }

    private void NoEntries(KdlNode node)
    {
        NoProperties(node);
        if (node.Arguments.Count > 0)
        {
            Error(
                WorkflowErrorCode.InvalidValue,
                node.Arguments[0],
                $"'{node.Name}' takes no values, only a {{ }} block"
            );
        }
    }

    private void NoProperties(KdlNode node)
    {
        foreach (var property in node.Properties)
        {
            _diagnostics.Add(
                WorkflowErrorCode.InvalidValue,
                DiagnosticBag.At(_file, property.Location),
                $"'{node.Name}' takes no properties ('{property.Key}=')"
            );
        }
    }

    private void NoChildren(KdlNode node)
    {
        if (node.Children.Count > 0)
        {
            Error(WorkflowErrorCode.InvalidValue, node.Children[0], $"'{node.Name}' takes no {{ }} block");
        }
    }

    private SourceLocation At(KdlNode node) => DiagnosticBag.At(_file, node.Location);

    private SourceLocation At(KdlValue value) => DiagnosticBag.At(_file, value.Location);

    private void Error(WorkflowErrorCode code, KdlNode node, string message) =>
        _diagnostics.Add(code, At(node), message);

    private void Error(WorkflowErrorCode code, KdlValue value, string message) =>
        _diagnostics.Add(code, At(value), message);
}
