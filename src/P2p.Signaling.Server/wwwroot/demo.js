// @ts-check
// The demo page's script: one P2pService, at most one group, and a log of what goes in and out.
import { P2pService, GroupCapability, GroupError, PeerState, defaultSignalingUrl, toText } from "./p2p.js";

/** @type {P2pService|null} */
let service = null;
/** @type {import("./p2p.js").Group|null} */
let group = null;
let busy = false;

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @returns {T}
 */
function $(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`The page has no #${id}.`);
  return /** @type {T} */ (element);
}

const ui = {
  serverUrl: /** @type {HTMLInputElement} */ ($("server-url")),
  connectForm: /** @type {HTMLFormElement} */ ($("connect-form")),
  connectButton: /** @type {HTMLButtonElement} */ ($("connect-button")),
  status: $("connection-status"),
  groupForms: $("group-forms"),
  createForm: /** @type {HTMLFormElement} */ ($("create-form")),
  createButton: /** @type {HTMLButtonElement} */ ($("create-button")),
  joinForm: /** @type {HTMLFormElement} */ ($("join-form")),
  joinId: /** @type {HTMLInputElement} */ ($("join-id")),
  joinButton: /** @type {HTMLButtonElement} */ ($("join-button")),
  groupPanel: $("group-panel"),
  groupId: /** @type {HTMLInputElement} */ ($("group-id")),
  copyButton: /** @type {HTMLButtonElement} */ ($("copy-button")),
  copyLinkButton: /** @type {HTMLButtonElement} */ ($("copy-link-button")),
  copyStatus: $("copy-status"),
  localId: $("local-id"),
  owner: $("group-owner"),
  capability: $("group-capability"),
  leaveButton: /** @type {HTMLButtonElement} */ ($("leave-button")),
  members: $("members"),
  membersTable: $("members-table"),
  membersEmpty: $("members-empty"),
  sendForm: /** @type {HTMLFormElement} */ ($("send-form")),
  sendTarget: /** @type {HTMLSelectElement} */ ($("send-target")),
  sendText: /** @type {HTMLInputElement} */ ($("send-text")),
  sendButton: /** @type {HTMLButtonElement} */ ($("send-button")),
  log: $("log"),
};

/** @param {string} id */
function shortId(id) {
  return id.slice(0, 8);
}

/** @param {{id: string, isOwner: boolean}} member */
function label(member) {
  return `${shortId(member.id)}${member.isOwner ? " (owner)" : ""}`;
}

/** @param {number} capability */
function describeCapability(capability) {
  const parts = [];
  if (capability & GroupCapability.BroadcastEveryone) parts.push("everyone broadcasts");
  else if (capability & GroupCapability.BroadcastOwner) parts.push("only the owner broadcasts");
  else parts.push("nobody broadcasts");
  if (capability & GroupCapability.UnicastEveryone) parts.push("everyone sends to one member");
  else if (capability & GroupCapability.UnicastOwner) parts.push("one-to-one only to or from the owner");
  else parts.push("no one-to-one messages");
  return `${parts.join("; ")} (${capability})`;
}

/**
 * Adds a line to the message log.
 * @param {"in"|"out"|"info"|"error"} direction
 * @param {string} kind what happened, e.g. "Broadcast from 1a2b3c4d"
 * @param {string} [text] the message itself
 */
function log(direction, kind, text) {
  const item = document.createElement("li");
  item.className = direction;
  item.dataset.direction = direction;
  const time = document.createElement("time");
  const now = new Date();
  time.dateTime = now.toISOString();
  time.textContent = now.toLocaleTimeString();
  const what = document.createElement("span");
  what.className = "kind";
  what.textContent = text === undefined ? kind : `${kind}:`;
  item.append(time, what);
  if (text !== undefined) {
    const body = document.createElement("span");
    body.className = "text";
    body.textContent = text;
    item.append(body);
  }
  ui.log.append(item);
  ui.log.scrollTop = ui.log.scrollHeight;
}

/** @param {unknown} error */
function describeError(error) {
  if (error instanceof GroupError) return `${error.codeName}: ${error.remoteMessage ?? error.message}`;
  return error instanceof Error ? error.message : String(error);
}

function render() {
  const connected = service !== null && !service.signaling.isClosed;
  const inGroup = group !== null && !group.isClosed;
  ui.connectButton.disabled = busy || connected;
  ui.serverUrl.disabled = connected;
  ui.createButton.disabled = busy || inGroup;
  ui.joinButton.disabled = busy || inGroup;
  ui.groupForms.hidden = inGroup;
  ui.groupPanel.hidden = !inGroup;
  ui.sendButton.disabled = !inGroup;
  ui.leaveButton.disabled = busy || !inGroup;
  renderMembers();
}

function renderMembers() {
  const members = group && !group.isClosed ? group.members : [];
  ui.members.replaceChildren(...members.map((member) => {
    const row = document.createElement("tr");
    row.dataset.memberId = member.id;
    row.dataset.state = member.state;
    const id = document.createElement("td");
    const code = document.createElement("code");
    code.textContent = member.id;
    id.append(code);
    const role = document.createElement("td");
    role.textContent = member.isOwner ? "Owner" : "Member";
    const state = document.createElement("td");
    const badge = document.createElement("span");
    badge.className = `state state-${member.state}`;
    badge.textContent = member.state === PeerState.Relayed && member.relayedVia ? `relayed via ${shortId(member.relayedVia)}` : member.state;
    if (member.lastError && member.state !== PeerState.Connected) badge.title = member.lastError.message;
    state.append(badge);
    row.append(id, role, state);
    return row;
  }));
  ui.membersEmpty.hidden = members.length > 0;
  ui.membersTable.hidden = members.length === 0;

  const selected = ui.sendTarget.value;
  const options = [new Option("Everyone (broadcast)", "")];
  for (const member of members) options.push(new Option(`${label(member)} — ${member.state}`, member.id));
  ui.sendTarget.replaceChildren(...options);
  ui.sendTarget.value = members.some((m) => m.id === selected) ? selected : "";
}

/** @param {() => Promise<void>} action */
async function run(action) {
  busy = true;
  render();
  try {
    await action();
  } catch (error) {
    log("error", "Error", describeError(error));
  } finally {
    busy = false;
    render();
  }
}

async function ensureConnected() {
  if (service !== null && !service.signaling.isClosed) return service;
  const url = ui.serverUrl.value.trim();
  ui.status.textContent = `Connecting to ${url}…`;
  try {
    const connecting = await P2pService.connect(url);
    const { id } = await connecting.join();
    service = connecting;
    connecting.addEventListener("signalingclosed", (event) => {
      const reason = /** @type {import("./p2p.js").SignalingClosedEvent} */ (event).reason;
      ui.status.textContent = `Disconnected from the signaling server (${reason}).`;
      log("error", "Signaling connection closed", reason);
      render();
    });
    ui.status.textContent = `Connected as ${id}.`;
    return connecting;
  } catch (error) {
    ui.status.textContent = `Could not connect: ${describeError(error)}`;
    throw error;
  }
}

/** @type {import("./p2p.js").GroupOptions} */
const handlers = {
  messageHandler: (from, data) => {
    log("in", `Broadcast from ${label(from)}`, toText(data));
  },
  requestHandler: (from, data) => {
    const text = toText(data);
    log("in", `Message from ${label(from)} (answered)`, text);
    return `Got "${text}"`;
  },
};

/** @param {import("./p2p.js").Group} joined */
function showGroup(joined) {
  group = joined;
  ui.groupId.value = joined.id;
  ui.localId.textContent = joined.localId;
  ui.owner.textContent = joined.ownerId;
  ui.capability.textContent = describeCapability(joined.capability);
  ui.copyStatus.textContent = "";
  joined.addEventListener("memberjoined", (event) => {
    const { member } = /** @type {import("./p2p.js").MemberEvent} */ (event);
    log("info", `${label(member)} joined`);
    renderMembers();
  });
  joined.addEventListener("memberleft", (event) => {
    const { member } = /** @type {import("./p2p.js").MemberEvent} */ (event);
    log("info", `${label(member)} left`);
    renderMembers();
  });
  joined.addEventListener("memberstatechanged", (event) => {
    const change = /** @type {import("./p2p.js").MemberStateChangedEvent} */ (event);
    if (change.state === PeerState.Connected) log("info", `Connected to ${label(change.member)}`);
    else if (change.state === PeerState.Relayed) log("info", `Reaching ${label(change.member)} through ${shortId(change.relayedVia ?? "")}`);
    else if (change.state === PeerState.Failed) log("error", `Connection to ${label(change.member)} failed`, change.error?.message ?? "");
    renderMembers();
  });
  const url = new URL(location.href);
  url.searchParams.set("group", joined.id);
  history.replaceState(null, "", url);
}

ui.connectForm.addEventListener("submit", (event) => {
  event.preventDefault();
  void run(async () => { await ensureConnected(); });
});

ui.createForm.addEventListener("submit", (event) => {
  event.preventDefault();
  void run(async () => {
    const connected = await ensureConnected();
    let capability = 0;
    for (const box of ui.createForm.querySelectorAll("input[name=capability]:checked")) {
      capability |= Number(/** @type {HTMLInputElement} */ (box).value);
    }
    const created = await connected.createGroup(capability, handlers);
    showGroup(created);
    log("info", "Created the group", created.id);
  });
});

ui.joinForm.addEventListener("submit", (event) => {
  event.preventDefault();
  void run(async () => {
    const connected = await ensureConnected();
    const joined = await connected.joinGroup(ui.joinId.value.trim().toLowerCase(), handlers);
    showGroup(joined);
    log("info", "Joined the group", joined.id);
  });
});

ui.leaveButton.addEventListener("click", () => {
  void run(async () => {
    const leaving = group;
    if (!leaving) return;
    await leaving.leave();
    group = null;
    log("info", "Left the group", leaving.id);
    const url = new URL(location.href);
    url.searchParams.delete("group");
    history.replaceState(null, "", url);
  });
});

ui.sendForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const current = group;
  const text = ui.sendText.value;
  if (!current || text === "") return;
  const targetId = ui.sendTarget.value;
  ui.sendText.value = "";
  ui.sendText.focus();
  void (async () => {
    try {
      if (targetId === "") {
        const result = await current.broadcast(text);
        const total = result.delivered.length + result.failed.length;
        log("out", `You to everyone (${result.delivered.length} of ${total} delivered)`, text);
        for (const failure of result.failed) log("error", `Not delivered to ${label(failure.member)}`, describeError(failure.error));
      } else {
        const target = current.getMember(targetId);
        const name = target ? label(target) : shortId(targetId);
        log("out", `You to ${name}`, text);
        const reply = await current.unicast(targetId, text);
        log("in", `Reply from ${name}`, toText(reply));
      }
    } catch (error) {
      log("error", targetId === "" ? "Broadcast failed" : `No reply from ${shortId(targetId)}`, describeError(error));
    }
  })();
});

/** @param {string} text @param {string} what */
async function copy(text, what) {
  try {
    await navigator.clipboard.writeText(text);
    ui.copyStatus.textContent = `${what} copied to the clipboard.`;
  } catch {
    ui.groupId.focus();
    ui.groupId.select();
    ui.copyStatus.textContent = `Select and copy the ${what.toLowerCase()} by hand (the clipboard is not available here).`;
  }
}

ui.copyButton.addEventListener("click", () => { void copy(ui.groupId.value, "Group id"); });
ui.copyLinkButton.addEventListener("click", () => {
  const url = new URL(location.href);
  url.searchParams.set("group", ui.groupId.value);
  void copy(url.href, "Link");
});

ui.serverUrl.value = defaultSignalingUrl();
const invited = new URLSearchParams(location.search).get("group");
if (invited) ui.joinId.value = invited;
window.addEventListener("pagehide", () => { void service?.close(); });
render();
