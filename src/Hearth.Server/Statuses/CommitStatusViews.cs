using Hearth.Core.Api;
using Hearth.Store.Statuses;

namespace Hearth.Server.Statuses;

public static class CommitStatusViews
{
    public static CommitStatusView View(CommitStatusEntry e) =>
        new(
            e.RunId,
            e.Sha,
            e.Context,
            e.Phase,
            e.Description,
            e.SentAt is not null ? "sent"
                : e.FailedAt is not null ? "failed"
                : "queued",
            e.Attempts,
            e.CreatedAt,
            e.SentAt,
            e.LastError
        );
}
