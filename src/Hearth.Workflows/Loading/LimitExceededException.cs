namespace Hearth.Workflows.Loading;

/// <summary>Stops expansion once the step limit is hit; the diagnostic is already recorded.</summary>
internal sealed class LimitExceededException : Exception { }
