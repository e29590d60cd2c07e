using System.CommandLine;
using System.Reflection;
using MtlBatch.Cli;

// Every sub-command is a class implementing ICliCommand in this assembly (one file per command under Commands/),
// so adding a command never touches this file.
var root = new RootCommand("MtlBatch: transcripts, speaker turns and emotion timelines from recorded speech with one multi-task model.");
foreach (var type in Assembly.GetExecutingAssembly().GetTypes()
             .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(ICliCommand).IsAssignableFrom(t))
             .OrderBy(t => t.Name, StringComparer.Ordinal))
{
    var command = ((ICliCommand)Activator.CreateInstance(type)!).Build();
    root.Subcommands.Add(command);
}

return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
