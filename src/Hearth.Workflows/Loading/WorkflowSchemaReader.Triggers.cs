using Hearth.Kdl;
using Hearth.Workflows.Diagnostics;
using Hearth.Workflows.Model;

namespace Hearth.Workflows.Loading;

/// <summary>
/// <c>triggers</c>: the flat list (<c>triggers "push" "tag"</c>) or a block whose children are triggers, each with its
/// filters (<c>triggers { push { branches "main" }; tag { patterns "v*" }; manual }</c>). Not both on one node.
/// </summary>
internal sealed partial class WorkflowSchemaReader
{
    private static readonly Dictionary<string, string[]> FiltersOf = new(StringComparer.Ordinal)
    {
        ["push"] = ["branches", "branches-ignore", "paths", "paths-ignore"],
        ["pull_request"] = ["types", "branches", "branches-ignore", "paths", "paths-ignore"],
        ["tag"] = ["patterns", "ignore"],
        ["manual"] = [],
    };

    private void ReadTriggers(KdlNode node, List<string> into, Dictionary<string, TriggerFilter> filters)
    {
        NoProperties(node);
        if (node.Children.Count > 0)
        {
            if (node.Arguments.Count > 0)
                Error(
                    WorkflowErrorCode.InvalidValue,
                    node.Arguments[0],
                    "'triggers' takes either names (triggers \"push\") or a { } block, not both"
                );
            foreach (var child in node.Children)
                ReadTriggerNode(child, into, filters);
            return;
        }

        foreach (var argument in node.Arguments)
        {
            if (argument.AsString() is not { } trigger)
            {
                Error(WorkflowErrorCode.InvalidValue, argument, $"trigger names are strings; found {argument}");
            }
            else if (!WorkflowTriggers.IsKnown(trigger))
            {
                Error(
                    WorkflowErrorCode.InvalidTrigger,
                    argument,
                    $"unknown trigger \"{trigger}\"; expected one of {string.Join(", ", WorkflowTriggers.All)}"
                );
            }
            else
            {
                into.Add(trigger);
            }
        }

        if (node.Arguments.Count == 0)
        {
            Error(
                WorkflowErrorCode.MissingRequired,
                node,
                $"'triggers' needs at least one trigger: {string.Join(", ", WorkflowTriggers.All)}"
            );
        }
    }

    private void ReadTriggerNode(KdlNode node, List<string> into, Dictionary<string, TriggerFilter> filters)
    {
        if (!WorkflowTriggers.IsKnown(node.Name))
        {
            Error(
                WorkflowErrorCode.InvalidTrigger,
                node,
                $"unknown trigger '{node.Name}'; expected one of {string.Join(", ", WorkflowTriggers.All)}"
            );
            return;
        }
        if (into.Contains(node.Name, StringComparer.Ordinal))
        {
            Error(WorkflowErrorCode.DuplicateNode, node, $"trigger '{node.Name}' is given twice");
            return;
        }
        into.Add(node.Name);
        if (node.Name == "schedule")
        {
            ReadScheduleTrigger(node);
            return;
        }
        NoEntries(node);
        var allowed = FiltersOf[node.Name];
        var filter = new TriggerFilter(node.Name);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var child in node.Children)
        {
            if (!allowed.Contains(child.Name, StringComparer.Ordinal))
            {
                Error(
                    WorkflowErrorCode.UnknownNode,
                    child,
                    allowed.Length == 0
                        ? $"trigger '{node.Name}' takes no filters"
                        : $"unknown filter '{child.Name}' in '{node.Name}'; expected one of {string.Join(", ", allowed)}"
                );
                continue;
            }
            if (!seen.Add(child.Name))
            {
                Error(
                    WorkflowErrorCode.DuplicateNode,
                    child,
                    $"'{child.Name}' is given twice in '{node.Name}'; list every value on one node"
                );
                continue;
            }
            var values = Strings(child);
            if (values is null)
                continue;
            if (child.Name == "types")
            {
                foreach (var (value, at) in values.Zip(child.Arguments))
                {
                    if (!PullRequestTypes.All.Contains(value, StringComparer.Ordinal))
                        Error(
                            WorkflowErrorCode.InvalidValue,
                            at,
                            $"unknown pull request type \"{value}\"; expected one of {string.Join(", ", PullRequestTypes.All)}"
                        );
                }
            }
            filter = child.Name switch
            {
                "branches" => filter with { Branches = values },
                "branches-ignore" => filter with { BranchesIgnore = values },
                "paths" => filter with { Paths = values },
                "paths-ignore" => filter with { PathsIgnore = values },
                "patterns" => filter with { Patterns = values },
                "ignore" => filter with { Ignore = values },
                _ => filter with { Types = values },
            };
        }
        if (allowed.Length > 0)
            filters[node.Name] = filter;
    }

    /// <summary>
    /// The cron schedules' own syntax belongs to the scheduler; here, a bare <c>schedule</c> is a trigger name.
    /// </summary>
    private void ReadScheduleTrigger(KdlNode node) => NoEntries(node);

    /// <summary>The node's one or more non-empty string arguments, or null after reporting why not.</summary>
    private List<string>? Strings(KdlNode node)
    {
        NoProperties(node);
        NoChildren(node);
        if (node.Arguments.Count == 0)
        {
            Error(
                WorkflowErrorCode.MissingRequired,
                node,
                $"'{node.Name}' needs at least one pattern: {node.Name} \"…\""
            );
            return null;
        }
        var values = new List<string>();
        foreach (var argument in node.Arguments)
        {
            if (argument.AsString() is { Length: > 0 } value)
                values.Add(value);
            else
                Error(
                    WorkflowErrorCode.InvalidValue,
                    argument,
                    $"'{node.Name}' takes non-empty strings; found {argument}"
                );
        }
        return values.Count == node.Arguments.Count ? values : null;
    }
}
