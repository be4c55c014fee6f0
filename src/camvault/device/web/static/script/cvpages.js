/*
 * cvpages.js: what the device's pages do. Every action is an ISAPI call, as in the vendor's web UI:
 * sessionLogin with the §6.2 proof, activation with the RSA/AES exchange (§7.2), passwords and answers
 * in security=1 fields (§6.3), recovery under a key from the recovery challenge. No password is ever sent
 * in clear. Every state-changing request carries the page's CSRF token. User-controlled text is only ever
 * written with textContent.
 */
(function () {
  "use strict";

  const C = window.CvCrypto;
  const body = document.body;
  const PAGE = body.dataset.page;
  const USER = body.dataset.user || "";
  const SALT = body.dataset.salt || "";
  const ITERATIONS = parseInt(body.dataset.iterations, 10) || 100;
  const CSRF = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const LOGIN_PAGE = "/doc/page/login.asp";
  const $ = (id) => document.getElementById(id);

  // ------------------------------------------------------------------ ISAPI plumbing

  function xmlText(value) {
    return String(value)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&apos;");
  }

  function el(name, value) {
    return "<" + name + ">" + xmlText(value) + "</" + name + ">";
  }

  function field(doc, name) {
    if (!doc) return null;
    const nodes = doc.getElementsByTagNameNS("*", name);
    return nodes.length ? nodes[0].textContent.trim() : null;
  }

  async function isapi(method, url, payload, contentType) {
    const headers = { "If-Modified-Since": "0", "X-CSRF-Token": CSRF };
    if (payload !== undefined) headers["Content-Type"] = contentType || "application/xml; charset=UTF-8";
    let response;
    try {
      response = await fetch(url, { method, headers, body: payload, credentials: "same-origin", cache: "no-store" });
    } catch (error) {
      return { ok: false, network: true, status: 0, doc: null, sub: null };
    }
    const result = { status: response.status, headers: response.headers, doc: null, blob: null };
    const type = response.headers.get("Content-Type") || "";
    if (type.indexOf("xml") >= 0) {
      result.doc = new DOMParser().parseFromString(await response.text(), "application/xml");
    } else {
      result.blob = await response.blob();
    }
    result.sub = field(result.doc, "subStatusCode");
    result.ok = response.ok && (!result.sub || result.sub === "ok");
    return result;
  }

  const SUB_MESSAGES = {
    riskPassword: "The device refused the password as risky. Choose a stronger one.",
    badParameters: "The device refused a value. Check the fields.",
    lowPrivilege: "Your account is not allowed to do this.",
    invalidOperation: "The device cannot do this now.",
    notActivated: "The device is not activated.",
    hasActivated: "The device is already activated.",
    notSupport: "This device does not support that.",
    badXmlFormat: "The device could not read the request.",
    badXmlContent: "The device could not read the request.",
    fileFormatError: "That file is not a valid file for this device.",
    badDevType: "That file belongs to another device.",
    importErrorData: "The file does not open with this file password, or it is damaged.",
    maxSessionUserLink: "Too many users are logged in. Try again later.",
    deviceBusy: "The device is busy. Try again in a moment.",
  };

  function minutes(seconds) {
    const value = Math.max(1, Math.ceil((parseInt(seconds, 10) || 0) / 60));
    return value + (value === 1 ? " minute" : " minutes");
  }

  function attempts(count) {
    const value = parseInt(count, 10) || 0;
    return value + (value === 1 ? " attempt" : " attempts");
  }

  function isLocked(word) {
    return word === "lock" || word === "locked";
  }

  /** A message for a refused request; `wrong` names what was wrong on a counted failure. */
  function describe(result, overrides, wrong) {
    overrides = overrides || {};
    if (result.network) return "The device did not answer. Check the connection and try again.";
    if (result.status === 403 && field(result.doc, "errorMsg") === "csrfTokenInvalid") {
      return "This page has expired. Reload it and try again.";
    }
    if (result.status === 401) {
      const lock = field(result.doc, "lockStatus");
      if (isLocked(lock)) {
        return "Too many failed attempts: this computer is locked out. Try again in " + minutes(field(result.doc, "resLockTime")) + ".";
      }
      const left = field(result.doc, "retryTimes");
      if (left !== null) return (wrong || "That is not right") + ". " + attempts(left) + " left before the device locks this computer out.";
      return "Your session has ended. Log in again.";
    }
    if (result.status === 403 && isLocked(field(result.doc, "lockStatus"))) {
      return "Password recovery is suspended after too many failed attempts. Try again in " + minutes(field(result.doc, "resLockTime")) + ".";
    }
    if (result.sub && overrides[result.sub]) return overrides[result.sub];
    if (result.sub && SUB_MESSAGES[result.sub]) return SUB_MESSAGES[result.sub];
    return "The device refused the request (" + (result.sub || "HTTP " + result.status) + ").";
  }

  function show(id, text, good) {
    const node = $(id);
    if (!node) return;
    node.textContent = text || "";
    node.classList.toggle("error", !!text && !good);
    node.classList.toggle("ok", !!text && !!good);
  }

  function flashAndReload(text) {
    sessionStorage.setItem("cv-flash", text);
    location.reload();
  }

  async function withBusy(form, action) {
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => (b.disabled = true));
    try {
      await action();
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  }

  function onSubmit(id, handler) {
    const form = $(id);
    if (!form) return;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      withBusy(form, () => handler(form));
    });
  }

  function download(bytes, name) {
    const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 30000);
  }

  function readFile(input) {
    return new Promise((resolve, reject) => {
      const file = input.files && input.files[0];
      if (!file) return resolve(null);
      const reader = new FileReader();
      reader.onload = () => resolve(new Uint8Array(reader.result));
      reader.onerror = () => reject(reader.error);
      reader.readAsArrayBuffer(file);
    });
  }

  async function waitForDevice(target) {
    for (let tries = 0; tries < 90; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      try {
        const response = await fetch("/SDK/activateStatus", { cache: "no-store" });
        if (response.ok) break;
      } catch (error) {
        // still rebooting
      }
    }
    location.href = target;
  }

  // ------------------------------------------------------------------ crypto helpers

  let rsa = null;
  function rsaKey() {
    if (!rsa) rsa = C.rsaGenerate(1024);
    return rsa;
  }

  function sealer(password) {
    const key = C.fieldKey(USER, password, SALT, ITERATIONS);
    const iv = C.newIv();
    return { iv, seal: (value) => C.encryptField(key, value, iv), open: (hex) => C.decryptField(key, hex, iv) };
  }

  async function recoveryRequest(method, path, build) {
    const key = rsaKey();
    const challenge = await isapi("POST", "/ISAPI/Security/passwordReset/challenge", "<PublicKey>" + el("key", C.publicKeyParam(key)) + "</PublicKey>");
    if (!challenge.ok) return challenge;
    const aes = C.fromHex(C.decryptChallenge(key, field(challenge.doc, "key")));
    const iv = C.newIv();
    return isapi(method, path + "?security=1&iv=" + iv, build((value) => C.encryptField(aes, value, iv)));
  }

  // ------------------------------------------------------------------ password checks and strength meter

  const PROBLEMS = {
    empty: "Enter a password.",
    disallowed_character: "Use only letters, digits, space and the symbols of an English keyboard.",
    too_short: "The password needs at least 8 characters.",
    too_long: "The password can have at most 16 characters.",
    contains_username: "The password must not contain the user name.",
    risky: "This password is risky: mix at least two kinds of characters (lower case, upper case, digits, symbols).",
  };

  function newPasswordProblem(password, confirm, user) {
    const problems = C.policyProblems(password, user);
    if (problems.length) return PROBLEMS[problems[0]];
    if (password !== confirm) return "The passwords do not match.";
    return null;
  }

  function userFor(input) {
    if (input.dataset.userFrom) return ($(input.dataset.userFrom) || {}).value || "";
    return input.dataset.user || "";
  }

  function wireStrengthMeters() {
    document.querySelectorAll("input.new-password").forEach((input) => {
      const form = input.form;
      const meter = form.querySelector(".meter");
      const label = form.querySelector("[data-strength-label]");
      if (!meter || !label) return;
      const update = () => {
        const password = input.value;
        if (!password) {
          meter.dataset.level = "-1";
          label.textContent = "Enter a password";
          return;
        }
        const user = userFor(input);
        const problems = C.policyProblems(password, user);
        const level = C.strength(password, user);
        meter.dataset.level = String(problems.length ? 0 : level);
        label.textContent = problems.length ? PROBLEMS[problems[0]] : "Strength: " + C.LEVELS[level];
      };
      input.addEventListener("input", update);
      if (input.dataset.userFrom && $(input.dataset.userFrom)) $(input.dataset.userFrom).addEventListener("input", update);
      input.refreshStrength = update;
    });
  }

  // ------------------------------------------------------------------ session: heartbeat and logout

  function startSession() {
    let failures = 0;
    setInterval(async () => {
      const result = await isapi("PUT", "/ISAPI/Security/sessionHeartbeat");
      if (result.ok) {
        failures = 0;
        return;
      }
      failures += 1;
      if (result.status === 401 || result.status === 403 || failures >= 5) location.href = LOGIN_PAGE;
    }, 30000);
    const logout = $("logout");
    if (logout) {
      logout.addEventListener("click", async () => {
        await isapi("PUT", "/ISAPI/Security/sessionLogout");
        location.href = LOGIN_PAGE;
      });
    }
  }

  // ------------------------------------------------------------------ login

  function loginPage() {
    onSubmit("login-form", async () => {
      const user = $("login-username").value.trim();
      const password = $("login-password").value;
      if (!user) return show("login-message", "Enter the user name.");
      if (user.length > 32) return show("login-message", "User names have at most 32 characters.");
      if (!password) return show("login-message", "Enter the password.");
      show("login-message", "");
      const random = String(Math.floor(Math.random() * 90000000) + 10000000);
      const caps = await isapi("GET", "/ISAPI/Security/sessionLogin/capabilities?username=" + encodeURIComponent(user) + "&random=" + random);
      if (caps.status !== 200 || !field(caps.doc, "challenge")) return show("login-message", describe(caps));
      const proof = C.sessionProof(
        user,
        password,
        field(caps.doc, "salt") || "",
        field(caps.doc, "challenge"),
        parseInt(field(caps.doc, "iterations"), 10) || 100,
        field(caps.doc, "isIrreversible") !== "false",
      );
      const request =
        "<SessionLogin>" + el("userName", user) + el("password", proof) + el("sessionID", field(caps.doc, "sessionID")) +
        el("isSessionIDValidLongTerm", "false") + el("sessionIDVersion", "2") + "</SessionLogin>";
      const result = await isapi("POST", "/ISAPI/Security/sessionLogin?timeStamp=" + Date.now(), request);
      $("login-password").value = "";
      if (result.status === 200 && field(result.doc, "statusValue") === "200") {
        const risky = field(result.doc, "isRiskPassword") === "true";
        const isDefault = field(result.doc, "isDefaultPassword") === "true";
        if (risky || isDefault) {
          $("risk-text").textContent = isDefault
            ? "You are using the factory default password. Change it now: anyone who knows the default can log in."
            : "Your password is risky. Change it now to protect this device.";
          $("risk-prompt").showModal();
          return;
        }
        location.href = "/doc/page/users.asp";
        return;
      }
      const lock = field(result.doc, "lockStatus");
      if (isLocked(lock)) {
        return show("login-message", "Locked after too many failed attempts. Try again in " + minutes(field(result.doc, "unlockTime")) + ".");
      }
      const left = field(result.doc, "retryLoginTime");
      if (result.status === 401) {
        return show("login-message", "Wrong user name or password." + (left !== null ? " " + attempts(left) + " left." : ""));
      }
      show("login-message", describe(result));
    });
  }

  // ------------------------------------------------------------------ activation

  function activatePage() {
    onSubmit("activate-form", async () => {
      const password = $("activate-password").value;
      const problem = newPasswordProblem(password, $("activate-confirm").value, "admin");
      if (problem) return show("activate-message", problem);
      show("activate-message", "Activating…", true);
      const key = rsaKey();
      const challenge = await isapi("POST", "/ISAPI/Security/challenge", "<PublicKey>" + el("key", C.publicKeyParam(key)) + "</PublicKey>");
      if (!challenge.ok) return show("activate-message", describe(challenge));
      const randomText = C.decryptChallenge(key, field(challenge.doc, "key"));
      const result = await isapi(
        "PUT",
        "/ISAPI/System/activate",
        "<ActivateInfo>" + el("password", C.encryptActivationPassword(randomText, password)) + "</ActivateInfo>",
      );
      if (!result.ok) return show("activate-message", describe(result, { badParameters: "The device refused the password." }));
      $("activate-password").value = "";
      $("activate-confirm").value = "";
      show("activate-message", "The device is activated. Log in with the new password.", true);
      setTimeout(() => (location.href = LOGIN_PAGE), 600);
    });
  }

  // ------------------------------------------------------------------ users

  const NAME_FORBIDDEN = /[<>&'"/\\:;|*? ]/;

  function usersPage() {
    const rows = Array.from(document.querySelectorAll("#user-table tbody tr"));
    const names = rows.map((row) => row.dataset.userName);
    rows.forEach((row) => {
      const id = row.dataset.userId;
      const name = row.dataset.userName;
      const save = row.querySelector(".save-user");
      if (save) {
        save.addEventListener("click", async () => {
          const level = row.querySelector(".user-level").value;
          const enabled = row.querySelector(".user-enabled").checked;
          const result = await isapi("PUT", "/ISAPI/Security/users/" + id, "<User>" + el("id", id) + el("userLevel", level) + el("enabled", enabled) + "</User>");
          show("users-message", result.ok ? "Saved the changes to " + name + "." : describe(result), result.ok);
        });
      }
      const remove = row.querySelector(".delete-user");
      if (remove) {
        remove.addEventListener("click", async () => {
          if (!window.confirm("Delete the user " + name + "? This cannot be undone.")) return;
          const result = await isapi("DELETE", "/ISAPI/Security/users/" + id);
          if (result.ok) return flashAndReload("Deleted the user " + name + ".");
          show("users-message", describe(result));
        });
      }
      const change = row.querySelector(".change-password");
      if (change) change.addEventListener("click", () => openPasswordForm(id, name));
    });

    function openPasswordForm(id, name) {
      const self = name === USER;
      $("change-password").hidden = false;
      $("change-target").textContent = name;
      $("change-user-id").value = id;
      $("current-caption").textContent = self ? "Your current password" : "Admin password (yours)";
      $("change-password-input").dataset.user = name;
      ["change-current", "change-password-input", "change-confirm"].forEach((field) => ($(field).value = ""));
      if ($("change-password-input").refreshStrength) $("change-password-input").refreshStrength();
      show("password-message", "");
      $("change-current").focus();
    }

    $("change-cancel").addEventListener("click", () => ($("change-password").hidden = true));
    if (location.hash === "#change-own") {
      const own = rows.find((row) => row.dataset.userName === USER);
      if (own) openPasswordForm(own.dataset.userId, USER);
    }

    onSubmit("password-form", async () => {
      const id = $("change-user-id").value;
      const name = $("change-target").textContent;
      const current = $("change-current").value;
      const password = $("change-password-input").value;
      if (!current) return show("password-message", "Enter your current password.");
      const problem = newPasswordProblem(password, $("change-confirm").value, name);
      if (problem) return show("password-message", problem);
      const s = sealer(current);
      const request = "<User>" + el("id", id) + el("userName", s.seal(name)) + el("password", s.seal(password)) + el("loginPassword", s.seal(current)) + "</User>";
      const result = await isapi("PUT", "/ISAPI/Security/users/" + id + "?security=1&iv=" + s.iv, request);
      if (!result.ok) return show("password-message", describe(result, { badParameters: "The device refused the new password." }, "Your current password is wrong"));
      ["change-current", "change-password-input", "change-confirm"].forEach((field) => ($(field).value = ""));
      const own = name === USER;
      show("password-message", own ? "Your password is changed. Your other sessions were logged out." : "The password of " + name + " is changed.", true);
    });

    onSubmit("add-user-form", async () => {
      const name = $("add-username").value;
      const password = $("add-password").value;
      const admin = $("add-admin-password").value;
      if (!name) return show("add-message", "Enter a user name.");
      if (name.length > 32) return show("add-message", "User names have at most 32 characters.");
      if (NAME_FORBIDDEN.test(name) || !/^[\x20-\x7e\u00a0-\uffff]+$/.test(name)) {
        return show("add-message", "User names cannot contain spaces or any of < > & ' \" / \\ : ; | * ?");
      }
      if (names.indexOf(name) >= 0) return show("add-message", "A user with this name already exists.");
      const problem = newPasswordProblem(password, $("add-confirm").value, name);
      if (problem) return show("add-message", problem);
      if (!admin) return show("add-message", "Enter your admin password.");
      const s = sealer(admin);
      const request =
        "<User>" + el("userName", s.seal(name)) + el("password", s.seal(password)) + el("loginPassword", s.seal(admin)) +
        el("userLevel", $("add-level").value) + el("enabled", "true") + "</User>";
      const result = await isapi("POST", "/ISAPI/Security/users?security=1&iv=" + s.iv, request);
      if (result.ok) return flashAndReload("Added the user " + name + ".");
      show("add-message", describe(result, { badParameters: "The device refused a value." }, "Your admin password is wrong"));
    });
  }

  // ------------------------------------------------------------------ security

  function securityPage() {
    onSubmit("lock-form", async () => {
      const attemptsValue = $("lock-attempts").value.trim();
      const seconds = $("lock-seconds").value.trim();
      if (!/^\d+$/.test(attemptsValue) || +attemptsValue < 3 || +attemptsValue > 20) return show("lock-message", "Attempts must be a whole number from 3 to 20.");
      if (!/^\d+$/.test(seconds) || +seconds < 60 || +seconds > 86400) return show("lock-message", "The lock time must be a whole number of seconds from 60 to 86400.");
      const request =
        "<IllegalLoginLock>" + el("enabled", $("lock-enabled").checked) + el("maxIllegalLoginTimes", +attemptsValue) +
        el("maxIllegalLoginLockTime", +seconds) + "</IllegalLoginLock>";
      const result = await isapi("PUT", "/ISAPI/Security/illegalLoginLock", request);
      show("lock-message", result.ok ? "Saved." : describe(result), result.ok);
    });

    onSubmit("questions-form", async () => {
      const chosen = [];
      const selects = document.querySelectorAll(".question-select");
      for (let i = 0; i < selects.length; i++) {
        const answer = $("answer-" + i).value;
        const trimmed = answer.trim();
        if (!trimmed) return show("questions-message", "Answer question " + (i + 1) + ".");
        if (Array.from(trimmed).length > 128) return show("questions-message", "Answers have at most 128 characters.");
        chosen.push({ id: selects[i].value, answer });
      }
      if (new Set(chosen.map((q) => q.id)).size !== chosen.length) return show("questions-message", "Choose three different questions.");
      const admin = $("questions-admin-password").value;
      if (!admin) return show("questions-message", "Enter your admin password.");
      const s = sealer(admin);
      const list = chosen.map((q) => "<Question>" + el("id", q.id) + el("answer", s.seal(q.answer)) + "</Question>").join("");
      const request = "<SecurityQuestion><QuestionList>" + list + "</QuestionList>" + el("password", s.seal(admin)) + "</SecurityQuestion>";
      const result = await isapi("PUT", "/ISAPI/Security/questionConfiguration?security=1&iv=" + s.iv, request);
      if (result.ok) return flashAndReload("The security questions are saved.");
      show("questions-message", describe(result, {}, "The admin password is wrong"));
    });

    onSubmit("guid-form", async () => {
      const admin = $("guid-admin-password").value;
      if (!admin) return show("guid-message", "Enter your admin password.");
      const s = sealer(admin);
      const result = await isapi("POST", "/ISAPI/Security/GUIDFileData?security=1&iv=" + s.iv, "<LoginPassword>" + el("password", s.seal(admin)) + "</LoginPassword>");
      if (!result.ok || !field(result.doc, "GUIDFile")) return show("guid-message", describe(result, {}, "The admin password is wrong"));
      download(C.fromBase64(s.open(field(result.doc, "GUIDFile"))), field(result.doc, "fileName") || "GUID.xml");
      $("guid-admin-password").value = "";
      show("guid-message", "The GUID file is exported. Keep it safe: it can reset the admin password.", true);
    });
  }

  // ------------------------------------------------------------------ maintenance

  function maintenancePage() {
    onSubmit("time-form", async () => {
      const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
      const result = await isapi("PUT", "/ISAPI/System/time", "<Time>" + el("timeMode", "manual") + el("localTime", now) + "</Time>");
      if (result.ok) return flashAndReload("The device time is set.");
      show("time-message", describe(result));
    });

    onSubmit("reboot-form", async () => {
      if (!$("reboot-confirm").checked) return show("reboot-message", "Tick the box to confirm the reboot.");
      const result = await isapi("PUT", "/ISAPI/System/reboot");
      if (!result.ok) return show("reboot-message", describe(result));
      show("reboot-message", "The device is restarting. This page reloads when it is back.", true);
      await waitForDevice(LOGIN_PAGE);
    });

    ["restore", "default"].forEach((name) => {
      onSubmit(name + "-form", async (form) => {
        if (!$(name + "-confirm").checked) return show(name + "-message", "Tick the box to confirm what will be erased.");
        const result = await isapi("PUT", "/ISAPI/System/factoryReset?mode=" + form.dataset.mode);
        if (!result.ok) return show(name + "-message", describe(result));
        show(name + "-message", "Done. The device is restarting.", true);
        await waitForDevice(LOGIN_PAGE);
      });
    });

    onSubmit("export-form", async () => {
      const secret = $("export-secret").value;
      const admin = $("export-admin-password").value;
      if (!secret || secret.length > 32) return show("export-message", "The file password must have 1 to 32 characters.");
      if (!admin) return show("export-message", "Enter your admin password.");
      const s = sealer(admin);
      const result = await isapi("GET", "/ISAPI/System/configurationData?security=1&iv=" + s.iv + "&secretkey=" + s.seal(secret));
      if (result.status !== 200 || !result.blob) return show("export-message", describe(result, {}, "Your admin password is wrong"));
      const disposition = result.headers.get("Content-Disposition") || "";
      const match = /filename="([^"]+)"/.exec(disposition);
      download(new Uint8Array(await result.blob.arrayBuffer()), match ? match[1] : "configuration.bin");
      show("export-message", "The configuration file is exported.", true);
    });

    onSubmit("import-form", async () => {
      const secret = $("import-secret").value;
      const admin = $("import-admin-password").value;
      const data = await readFile($("import-file"));
      if (!data) return show("import-message", "Choose a configuration file.");
      if (!secret || secret.length > 32) return show("import-message", "The file password must have 1 to 32 characters.");
      if (!admin) return show("import-message", "Enter your admin password.");
      const s = sealer(admin);
      const result = await isapi("PUT", "/ISAPI/System/configurationData?security=1&iv=" + s.iv + "&secretkey=" + s.seal(secret), data, "application/octet-stream");
      if (!result.ok) return show("import-message", describe(result, {}, "Your admin password is wrong"));
      show("import-message", "Imported. The device is restarting.", true);
      await waitForDevice(LOGIN_PAGE);
    });
  }

  // ------------------------------------------------------------------ forgot password

  function pwdResetPage() {
    let answers = null;
    const gatherAnswers = () => {
      const found = [];
      for (const input of document.querySelectorAll(".reset-answer")) {
        const trimmed = input.value.trim();
        if (!trimmed) return "Answer every question.";
        if (Array.from(trimmed).length > 128) return "Answers have at most 128 characters.";
        found.push({ id: input.dataset.questionId, answer: input.value });
      }
      return found;
    };
    const answersXml = (seal, list, password) =>
      "<SecurityQuestion><QuestionList>" +
      list.map((q) => "<Question>" + el("id", q.id) + el("answer", seal(q.answer)) + "</Question>").join("") +
      "</QuestionList>" + (password ? el("password", seal(password)) : "") + "</SecurityQuestion>";

    onSubmit("answers-form", async () => {
      const list = gatherAnswers();
      if (typeof list === "string") return show("answers-message", list);
      const result = await recoveryRequest("POST", "/ISAPI/Security/questionCertification", (seal) => answersXml(seal, list));
      if (!result.ok) return show("answers-message", describe(result, {}, "The answers are not right"));
      answers = list;
      show("answers-message", "The answers are right. Choose the new admin password.", true);
      $("answers-password-form").hidden = false;
      $("answers-password").focus();
    });

    onSubmit("answers-password-form", async () => {
      if (!answers) return show("answers-password-message", "Answer the questions first.");
      const password = $("answers-password").value;
      const problem = newPasswordProblem(password, $("answers-confirm").value, "admin");
      if (problem) return show("answers-password-message", problem);
      const result = await recoveryRequest("PUT", "/ISAPI/Security/questionCertification", (seal) => answersXml(seal, answers, password));
      if (!result.ok) return show("answers-password-message", describe(result, {}, "The answers are not right"));
      done("answers-password-message");
    });

    onSubmit("guid-reset-form", async () => {
      const data = await readFile($("guid-file"));
      if (!data) return show("guid-reset-message", "Choose the GUID file.");
      if (data.length > 4096) return show("guid-reset-message", "That file is too large to be a GUID file.");
      const password = $("guid-password").value;
      const problem = newPasswordProblem(password, $("guid-confirm").value, "admin");
      if (problem) return show("guid-reset-message", problem);
      const encoded = C.toBase64(data);
      const result = await recoveryRequest("PUT", "/ISAPI/Security/GUIDFileData/reset", (seal) =>
        "<GUIDFileReset>" + el("GUIDFile", seal(encoded)) + el("password", seal(password)) + "</GUIDFileReset>",
      );
      if (!result.ok) return show("guid-reset-message", describe(result, {}, "That GUID file is not valid any more"));
      done("guid-reset-message");
    });

    // Vendor support: export a signed request (a file, no password needed), then enter the vendor's code.
    const CODE_PROBLEMS = {
      bad_signature: "This code does not answer this device's latest request: it is for another device or an older request, or it was changed",
      unknown_key: "This code is signed by a key this device does not trust (its firmware may need an update)",
      replayed: "This code has already been used",
      expired: "This code has expired by the device's clock: export a new request",
      undecryptable: "The device could not read the request",
      malformed: "That is not a reset code or a code file",
      checksum: "The code has a typo: check it character by character",
      no_pending_request: "No reset request is waiting for a code (the device restarted, or none was exported): export a new one and ask support again",
    };

    function describeCode(result) {
      const problem = CODE_PROBLEMS[field(result.doc, "MErrDevSelfEx")];
      if (!problem) return describe(result);
      if (result.status !== 401) return problem + ".";
      if (isLocked(field(result.doc, "lockStatus"))) {
        return problem + ". After too many failed attempts this computer cannot log in for " + minutes(field(result.doc, "resLockTime")) + ".";
      }
      return problem + ". " + attempts(field(result.doc, "retryTimes")) + " left before the device locks this computer out.";
    }

    onSubmit("support-export-form", async () => {
      show("support-export-message", "");
      const result = await isapi("POST", "/ISAPI/Security/passwordReset/request");
      if (result.status !== 200 || !result.blob) return show("support-export-message", describe(result));
      const match = /filename="([^"]+)"/.exec(result.headers.get("Content-Disposition") || "");
      download(new Uint8Array(await result.blob.arrayBuffer()), match ? match[1] : "ResetRequest.txt");
      show("support-export-message", "The reset request is exported. Send it to support; any request exported before no longer works.", true);
    });

    onSubmit("support-code-form", async () => {
      const typed = $("support-code").value.trim();
      const data = await readFile($("support-code-file"));
      if (!typed && !data) return show("support-code-message", "Enter the reset code, or choose the code file.");
      if (typed && data) return show("support-code-message", "Enter the code or choose the file, not both.");
      if (data && data.length > 4096) return show("support-code-message", "That file is too large to be a code file.");
      const password = $("support-password").value;
      const problem = newPasswordProblem(password, $("support-confirm").value, "admin");
      if (problem) return show("support-code-message", problem);
      const result = await recoveryRequest("PUT", "/ISAPI/Security/passwordReset/code", (seal) =>
        "<PasswordResetCode>" + (data ? el("resetCodeFile", seal(C.toBase64(data))) : el("resetCode", seal(typed))) +
        el("password", seal(password)) + "</PasswordResetCode>",
      );
      if (!result.ok) return show("support-code-message", describeCode(result));
      $("support-code").value = "";
      done("support-code-message");
    });

    function done(messageId) {
      document.querySelectorAll("input[type=password]").forEach((input) => (input.value = ""));
      show(messageId, "The new admin password is set. Log in with it.", true);
      setTimeout(() => (location.href = LOGIN_PAGE), 1200);
    }
  }

  // ------------------------------------------------------------------ start

  const flash = sessionStorage.getItem("cv-flash");
  if (flash) {
    sessionStorage.removeItem("cv-flash");
    show("page-message", flash, true);
  }
  wireStrengthMeters();
  if (USER) startSession();
  const pages = {
    login: loginPage,
    activate: activatePage,
    users: usersPage,
    security: securityPage,
    maintenance: maintenancePage,
    pwdReset: pwdResetPage,
  };
  if (pages[PAGE]) pages[PAGE]();
})();
