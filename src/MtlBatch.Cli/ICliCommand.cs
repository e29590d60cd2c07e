using System.CommandLine;

namespace MtlBatch.Cli;

/// <summary>A sub-command of <c>mtlbatch</c>. Implementations need a public parameterless constructor.</summary>
public interface ICliCommand
{
    Command Build();
}
