namespace Hearth.Sandbox;

public enum StopSignal
{
    Terminate = 15,
    Interrupt = 2,
    Kill = 9,
}
