using Cronos;

namespace Hearth.Workflows.Schedules;

/// <summary>
/// A parsed schedule: a cron expression (5 or 6 fields, or a macro) read in a time zone, or an <c>@every</c>
/// interval. Pure: the next fire time is a function of the spec, the instant and the zone.
/// </summary>
public sealed class ScheduleSpec
{
    private readonly CronExpression? cron;

    internal ScheduleSpec(string text, string? zoneName, TimeZoneInfo? zone, CronExpression? cron, TimeSpan? interval)
    {
        Text = text;
        ZoneName = zoneName;
        Zone = zone;
        this.cron = cron;
        Interval = interval;
    }

    /// <summary>The spec as written.</summary>
    public string Text { get; }

    /// <summary>
    /// The zone of a <c>TZ=</c>/<c>CRON_TZ=</c> prefix, which wins over any default zone; null without one.
    /// </summary>
    public TimeZoneInfo? Zone { get; }

    public string? ZoneName { get; }

    /// <summary>The interval of <c>@every</c>; null for a cron expression.</summary>
    public TimeSpan? Interval { get; }

    /// <summary>
    /// The first fire time strictly after <paramref name="from"/> (or at it, when <paramref name="inclusive"/>), in the
    /// spec's own zone or else <paramref name="defaultZone"/>, with that zone's offset; null when none will come.
    /// An interval fires at whole multiples of itself counted from 1970-01-01T00:00:00Z, whatever the zone.
    /// </summary>
    public DateTimeOffset? Next(DateTimeOffset from, TimeZoneInfo defaultZone, bool inclusive = false)
    {
        var zone = Zone ?? defaultZone;
        if (Interval is { } every)
        {
            var ticks = from.UtcTicks - DateTime.UnixEpoch.Ticks;
            var steps = ticks / every.Ticks;
            var atOrBefore = DateTime.UnixEpoch.Ticks + steps * every.Ticks;
            if (ticks < 0 && atOrBefore > from.UtcTicks)
                atOrBefore -= every.Ticks;
            var next = atOrBefore == from.UtcTicks && inclusive ? atOrBefore : atOrBefore + every.Ticks;
            return TimeZoneInfo.ConvertTime(new DateTimeOffset(next, TimeSpan.Zero), zone);
        }
        return InGap(cron!.GetNextOccurrence(from, zone, inclusive), zone);
    }

    /// <summary>
    /// On Linux, .NET's zone rules miss a gap that starts at midnight when a rule ends there (Asia/Amman, 2017-03-31
    /// 00:00 → 01:00): the skipped wall time is called valid and given the new offset, an instant before the jump. As
    /// for any time in a gap, the fire time is then the moment the gap ends.
    /// </summary>
    private static DateTimeOffset? InGap(DateTimeOffset? next, TimeZoneInfo zone)
    {
        if (next is not { } at || zone.GetUtcOffset(at) == at.Offset)
            return next;
        var target = at.Offset;
        long lo = at.UtcTicks,
            hi = at.UtcTicks + (target - zone.GetUtcOffset(at)).Duration().Ticks;
        if (zone.GetUtcOffset(new DateTimeOffset(hi, TimeSpan.Zero)) != target)
            return next;
        while (hi - lo > 1)
        {
            var mid = lo + (hi - lo) / 2;
            if (zone.GetUtcOffset(new DateTimeOffset(mid, TimeSpan.Zero)) == target)
                hi = mid;
            else
                lo = mid;
        }
        return new DateTimeOffset(hi, TimeSpan.Zero).ToOffset(target);
    }

    /// <summary>Up to <paramref name="count"/> fire times strictly after <paramref name="from"/>.</summary>
    public IReadOnlyList<DateTimeOffset> NextTimes(DateTimeOffset from, TimeZoneInfo defaultZone, int count)
    {
        var times = new List<DateTimeOffset>(count);
        var at = from;
        while (times.Count < count && Next(at, defaultZone) is { } next)
        {
            times.Add(next);
            at = next;
        }
        return times;
    }

    public override string ToString() => Text;
}
