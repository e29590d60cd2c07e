using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using MtlBatch.Pipeline;

namespace MtlBatch.Cli.Commands;

/// <summary>
/// <c>mtlbatch events [--follow] [--peek]</c>: prints the completion events of the <c>results-events</c> queue, one JSON
/// object per line. By default it consumes them (like any consumer of the queue); <c>--peek</c> only looks.
/// </summary>
public sealed class EventsCommand : ICliCommand
{
    public Command Build()
    {
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep waiting for new events until Ctrl+C." };
        var peek = new Option<bool>("--peek") { Description = "Show the first 32 events without removing them from the queue." };
        var poll = new Option<TimeSpan?>("--poll-interval") { Description = "Pause between reads of an empty queue with --follow (default 00:00:01)." };
        var storage = PipelineCommandSupport.StorageOption();
        var namePrefix = PipelineCommandSupport.NamePrefixOption();

        var command = new Command("events", "Print completion events (one JSON line each) and remove them from results-events; exit 1 when a message is not an event.");
        foreach (var o in new Option[] { follow, peek, poll, storage, namePrefix }) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            if (parse.GetValue(follow) && parse.GetValue(peek))
            {
                await error.WriteLineAsync("mtlbatch events: --peek cannot --follow (peeking shows the same first events every time)").ConfigureAwait(false);
                return ExitCodes.InvalidConfiguration;
            }
            var interval = parse.GetValue(poll) ?? TimeSpan.FromSeconds(1);
            if (interval < TimeSpan.Zero)
            {
                await error.WriteLineAsync($"mtlbatch events: --poll-interval {interval} must be >= 0").ConfigureAwait(false);
                return ExitCodes.InvalidConfiguration;
            }
            // Ctrl+C / SIGTERM end --follow normally: the exit code says whether a message was bad, not how it stopped (as for the worker).
            using var stop = new SignalStop(ct);
            var token = stop.Token;
            var settings = PipelineCommandSupport.Settings(parse, storage, namePrefix);
            return await PipelineCommandSupport.RunAsync("events", parse, settings, async (services, _) =>
            {
                var feed = services.GetRequiredService<CompletionEventFeed>();
                await feed.EnsureQueueAsync(token).ConfigureAwait(false);
                var malformed = 0;
                async Task Print(FeedItem item, CancellationToken token)
                {
                    if (item.Event is null)
                    {
                        malformed++;
                        await error.WriteLineAsync($"mtlbatch events: message {item.MessageId} is not a completion event: {Clip(item.Text)}").ConfigureAwait(false);
                        return;
                    }
                    await output.WriteLineAsync(Core.MtlJson.Serialize(item.Event, indented: false)).ConfigureAwait(false);
                    await output.FlushAsync(token).ConfigureAwait(false);
                }

                try
                {
                    while (true)
                    {
                        var read = await feed.ReadAsync(!parse.GetValue(peek), Print, token).ConfigureAwait(false);
                        if (read > 0 && !parse.GetValue(peek)) continue;
                        if (!parse.GetValue(follow)) break;
                        await Task.Delay(interval, token).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested && parse.GetValue(follow))
                {
                    // Ctrl+C ends --follow; what was printed was consumed.
                }
                return malformed == 0 ? ExitCodes.Success : ExitCodes.Failures;
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static string Clip(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
