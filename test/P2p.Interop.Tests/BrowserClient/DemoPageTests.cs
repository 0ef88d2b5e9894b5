using System.Collections.Concurrent;
using Microsoft.Playwright;

namespace P2p.Interop.Tests.BrowserClient;

/// <summary>
/// The demo page the server serves at its endpoint, driven through its UI (by accessible roles and labels)
/// in two tabs. Set P2P_DEMO_URL (e.g. http://127.0.0.1:3001/) to drive a separately running server instead
/// of the in-process one, and P2P_DEMO_SCREENSHOTS to a directory to keep screenshots of both tabs.
/// </summary>
[TestFixture]
[NonParallelizable]
public class DemoPageTests
{
    private const float Timeout = 15_000;

    [Test]
    public async Task Two_tabs_form_a_group_through_the_demo_page_and_send_to_everyone_and_to_one_member()
    {
        var origin = Environment.GetEnvironmentVariable("P2P_DEMO_URL") is { Length: > 0 } url ? new Uri(url) : BrowserClientEnvironment.Server.HttpUri;
        var context = await BrowserClientEnvironment.Chromium.NewContextAsync(origin);
        var problems = new ConcurrentQueue<string>();
        try
        {
            var tab1 = await OpenAsync(context, origin, problems);
            var endpoint = new UriBuilder(origin) { Scheme = "ws" }.Uri.ToString();
            Assert.That(await tab1.GetByLabel("Signaling server").InputValueAsync(), Is.EqualTo(endpoint), "the page defaults to its own origin's endpoint");

            await tab1.GetByRole(AriaRole.Button, new() { Name = "Create group" }).ClickAsync();
            var groupIdBox = tab1.GetByLabel("This group's id");
            await groupIdBox.WaitForAsync(new() { State = WaitForSelectorState.Visible, Timeout = Timeout });
            var groupId = await groupIdBox.InputValueAsync();
            Assert.That(groupId, Does.Match("^[0-9a-f]{32}$"));
            var ownerId = await tab1.Locator("#local-id").InnerTextAsync();
            Assert.That(await tab1.Locator("#connection-status").InnerTextAsync(), Does.Contain(ownerId));

            // The second tab opens the invitation link (the first tab's address now carries ?group=).
            Assert.That(tab1.Url, Does.Contain("group=" + groupId));
            var tab2 = await OpenAsync(context, new Uri(tab1.Url), problems);
            Assert.That(await tab2.GetByLabel("Group id", new() { Exact = true }).InputValueAsync(), Is.EqualTo(groupId));
            await tab2.GetByRole(AriaRole.Button, new() { Name = "Join group" }).ClickAsync();

            foreach (var tab in new[] { tab1, tab2 })
            {
                await tab.Locator("#members tr[data-state=connected]").WaitForAsync(new() { Timeout = Timeout });
                Assert.That(await tab.Locator("#members tr").CountAsync(), Is.EqualTo(1));
            }

            Assert.That(await tab2.Locator("#members tr").InnerTextAsync(), Does.Contain(ownerId).And.Contain("Owner"));

            // To everyone.
            await tab2.GetByRole(AriaRole.Textbox, new() { Name = "Message" }).FillAsync("hello from tab 2");
            await tab2.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
            await tab1.Locator("#log li", new() { HasText = "hello from tab 2" }).WaitForAsync(new() { Timeout = Timeout });
            Assert.That(await tab1.Locator("#log li", new() { HasText = "hello from tab 2" }).InnerTextAsync(), Does.Contain("Broadcast from"));
            await tab2.Locator("#log li", new() { HasText = "1 of 1 delivered" }).WaitForAsync(new() { Timeout = Timeout });

            // To one member, answered.
            await tab2.GetByRole(AriaRole.Combobox, new() { Name = "To" }).SelectOptionAsync(ownerId);
            await tab2.GetByRole(AriaRole.Textbox, new() { Name = "Message" }).FillAsync("ping the owner");
            await tab2.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
            await tab2.Locator("#log li", new() { HasText = "Got \"ping the owner\"" }).WaitForAsync(new() { Timeout = Timeout });
            await tab1.Locator("#log li", new() { HasText = "ping the owner" }).WaitForAsync(new() { Timeout = Timeout });

            if (Environment.GetEnvironmentVariable("P2P_DEMO_SCREENSHOTS") is { Length: > 0 } directory)
            {
                await tab1.ScreenshotAsync(new() { Path = Path.Combine(directory, "demo-tab1.png"), FullPage = true });
                await tab2.ScreenshotAsync(new() { Path = Path.Combine(directory, "demo-tab2.png"), FullPage = true });
            }

            // Leaving shows in the other tab.
            await tab2.GetByRole(AriaRole.Button, new() { Name = "Leave group" }).ClickAsync();
            await tab1.Locator("#log li", new() { HasText = "left" }).WaitForAsync(new() { Timeout = Timeout });
            await tab1.Locator("#members-empty").WaitForAsync(new() { State = WaitForSelectorState.Visible, Timeout = Timeout });

            Assert.That(problems, Is.Empty, "page errors, console errors or CSP violations");
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    private static async Task<IPage> OpenAsync(IBrowserContext context, Uri url, ConcurrentQueue<string> problems)
    {
        var page = await context.NewPageAsync();
        page.PageError += (_, error) => problems.Enqueue("page error: " + error);
        page.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning")
            {
                problems.Enqueue($"console {message.Type}: {message.Text}");
            }
        };
        await page.GotoAsync(url.ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Connect" }).WaitForAsync();
        return page;
    }
}
