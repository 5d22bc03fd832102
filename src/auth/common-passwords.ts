/**
 * Passwords of the length we accept (10 or more) that lead every published list of breached
 * passwords, compared in lower case. Refusing them costs a user little and stops the first
 * guesses of every credential-stuffing run.
 */
const commonPasswords = new Set([
  '0000000000', '0123456789', '0987654321', '1111111111', '1122334455', '1234512345', '1234567890',
  '12345678910', '1234567890a', '123456789a', '123456789q', '1234567890q', '123123123123', '123321123321',
  '1q2w3e4r5t', '1q2w3e4r5t6y', '1qaz2wsx3edc', '1qazxsw23edc', '2wsx3edc4rfv', '5555555555', '6666666666',
  '7777777777', '8888888888', '9999999999', '9876543210', '987654321a', 'a1234567890', 'a123456789',
  'aa12345678', 'aaaaaaaaaa', 'abc1234567', 'abcd123456', 'abcd1234efgh', 'abcdefghij', 'abcdefghijk',
  'adminadmin', 'admin12345', 'admin123456', 'administrator', 'asdfasdfasdf', 'asdfghjkl1', 'asdfghjkl;',
  'asdfghjkl123', 'baseball12', 'baseball123', 'basketball', 'changeme12', 'changeme123', 'computer12',
  'computer123', 'dragon1234', 'football12', 'football123', 'iloveyou12', 'iloveyou123', 'iloveyou1234',
  'jennifer12', 'letmein123', 'letmein1234', 'master1234', 'michael123', 'monkey1234', 'mypassword',
  'mypassword1', 'mypassword123', 'p@ssw0rd123', 'p@ssword123', 'passw0rd123', 'password01', 'password10',
  'password11', 'password12', 'password123', 'password1234', 'password12345', 'password123456', 'password!1',
  'password1!', 'passwordpassword', 'princess12', 'princess123', 'q1w2e3r4t5', 'q1w2e3r4t5y6', 'qazwsxedc1',
  'qazwsxedcrfv', 'qwe123qwe123', 'qweasdzxc1', 'qweasdzxc123', 'qwerty1234', 'qwerty12345', 'qwerty123456',
  'qwertyqwerty', 'qwertyuiop', 'qwertyuiop1', 'qwertyuiop123', 'rootroot12', 'secret1234', 'shadow1234',
  'starwars12', 'sunshine12', 'sunshine123', 'superman123', 'test123456', 'testtest12', 'trustno1234',
  'welcome123', 'welcome1234', 'whatever12', 'zaq12wsxcde3', 'zxcvbnm123', 'zxcvbnmasdfg', 'zxcvbnm1234',
]);

export function isCommonPassword(candidate: string): boolean {
  return commonPasswords.has(candidate.trim().toLowerCase());
}
