using Xunit.Abstractions;
using Xunit.Sdk;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// Runs a class's tests in the order their <see cref="StepAttribute"/> numbers them: for classes whose tests share one
/// expensive fixture and whose last test ends it (a project brought down).
/// </summary>
public sealed class DeclaredOrder : ITestCaseOrderer
{
    public const string Name = "Hearth.EndToEnd.Tests.DeclaredOrder";
    public const string Assembly = "Hearth.EndToEnd.Tests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases)
        where TTestCase : ITestCase =>
        testCases.OrderBy(test =>
            test.TestMethod.Method.GetCustomAttributes(typeof(StepAttribute).AssemblyQualifiedName!)
                .Select(a => (int)a.GetConstructorArguments().First())
                .DefaultIfEmpty(int.MaxValue)
                .First()
        );
}

[AttributeUsage(AttributeTargets.Method)]
public sealed class StepAttribute(int number) : Attribute
{
    public int Number { get; } = number;
}
