import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity, caller, requireAuth } from '../../shared/auth.js';
import type { Clock } from '../../shared/clock.js';
import { notFound, problems } from '../../shared/errors.js';
import { idParam } from '../../shared/pagination.js';
import { toDarTime } from '../../shared/time.js';
import type { AuthService } from './auth-service.js';
import {
  ANONYMOUS_SESSION_HEADER,
  addressBody,
  addressPatchBody,
  addressSchema,
  DEVICE_HEADER,
  kycMineReply,
  kycSubmissionSchema,
  kycSubmitBody,
  mePatchBody,
  meReply,
  otpRequestBody,
  otpRequestReply,
  otpVerifyBody,
  sellerProfileBody,
  sellerProfilePatchBody,
  sellerProfileSchema,
  sessionReply,
  signInHeaders,
  toAddress,
  toKycSubmission,
  toSellerProfile,
  toUser,
  userSchema,
} from './dto.js';
import type { KycService } from './kyc-service.js';
import type { ProfileService } from './profile-service.js';

/** Referral attribution at sign-in (the referrals module); absent: `referral_code` is ignored. */
export interface SignInReferrals {
  /** throws the 422 for a code nobody holds */
  checkCode(code: string): Promise<void>;
  /** null when attributed, else the refusal's problem code */
  attributeOnSignIn(userId: string, code: string): Promise<string | null>;
}

export interface IdentityRouteDeps {
  referrals?: SignInReferrals | undefined;
  auth: AuthService;
  profiles: ProfileService;
  kyc: KycService;
  clock: Clock;
  otpIpMaxPerHour: number;
}

/** Sign-in, the caller's own account, addresses, seller profile and KYC. Admin routes live in admin-routes.ts. */
export function identityRoutes(deps: IdentityRouteDeps): FastifyPluginAsyncZod {
  const { auth, profiles, kyc, clock } = deps;
  // Strangers can call these: a per-IP cap on top of the per-phone limits in the service.
  const ipLimit = { rateLimit: { max: deps.otpIpMaxPerHour, timeWindow: '1 hour' } };

  return async (app) => {
    app.post(
      '/auth/otp/request',
      {
        config: ipLimit,
        schema: {
          tags: ['auth'],
          summary: 'Send a one-time login code by SMS',
          description: 'The reply is the same whether or not the phone belongs to an account.',
          body: otpRequestBody,
          response: { 202: otpRequestReply, ...problems(400, 422, 429, 503) },
        },
      },
      async (request, reply) => {
        const r = await auth.requestOtp({ phone: request.body.phone, ip: request.ip });
        return reply.code(202).send({
          status: 'sent',
          expires_in_seconds: r.expiresInSeconds,
          resend_after_seconds: r.resendAfterSeconds,
        });
      },
    );

    app.post(
      '/auth/otp/verify',
      {
        config: ipLimit,
        schema: {
          tags: ['auth'],
          summary: 'Exchange a code for a session token (first login creates a buyer account)',
          body: otpVerifyBody,
          headers: signInHeaders,
          response: { 200: sessionReply, ...problems(400, 403, 422, 429) },
          description:
            'With `referral_code`, the code is checked first (422 `REFERRAL_CODE_UNKNOWN`, the OTP is not spent); after a good sign-in the attribution is made or its refusal reported in `referral`. ' +
            'Optional headers: `X-Kkoo-Device` (the app install id, stored hashed; the referral fraud rules compare it between accounts) and ' +
            '`X-Kkoo-Session` (the anonymous session the app browsed under: its recently viewed products move to the account).',
        },
      },
      async (request) => {
        const referralCode = deps.referrals ? request.body.referral_code : undefined;
        // Before the OTP is spent: a mistyped referral code must not cost the person their code.
        if (referralCode !== undefined) await deps.referrals!.checkCode(referralCode);
        const r = await auth.verifyOtp({
          phone: request.body.phone,
          code: request.body.code,
          ip: request.ip,
          userAgent: request.headers['user-agent'],
          deviceId: request.headers[DEVICE_HEADER],
          anonymousSession: request.headers[ANONYMOUS_SESSION_HEADER],
        });
        const refusal =
          referralCode === undefined
            ? undefined
            : await deps.referrals!.attributeOnSignIn(r.user.id, referralCode);
        return {
          ...(refusal === undefined ? {} : { referral: { attributed: refusal === null, refusal } }),
          token: r.token,
          token_type: 'Bearer' as const,
          expires_at: toDarTime(r.expiresAt),
          new_user: r.isNewUser,
          user: toUser(r.user, clock.now()),
        };
      },
    );

    app.post(
      '/auth/logout',
      {
        preHandler: requireAuth(),
        schema: {
          tags: ['auth'],
          summary: 'End this session',
          security: bearerSecurity,
          response: { 204: z.null(), ...problems(401, 403) },
        },
      },
      async (request, reply) => {
        await auth.logout(caller(request).sessionId);
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/me',
      {
        preHandler: requireAuth(),
        schema: {
          tags: ['me'],
          summary: 'The signed-in user',
          security: bearerSecurity,
          response: { 200: meReply, ...problems(401, 403) },
        },
      },
      async (request) => {
        const me = caller(request);
        const [user, seller] = await Promise.all([
          profiles.loadUser(me.userId),
          profiles.getSellerProfile(me.userId),
        ]);
        return { user: toUser(user, clock.now()), seller_profile: seller ? toSellerProfile(seller) : null };
      },
    );

    app.patch(
      '/me',
      {
        preHandler: requireAuth(),
        schema: {
          tags: ['me'],
          summary: 'Update the buyer profile',
          security: bearerSecurity,
          body: mePatchBody,
          response: { 200: userSchema, ...problems(400, 401, 403) },
        },
      },
      async (request) => toUser(await profiles.updateMe(caller(request).userId, request.body), clock.now()),
    );

    // ---- delivery addresses
    app.get(
      '/me/addresses',
      {
        preHandler: requireAuth(),
        schema: {
          tags: ['me'],
          summary: 'My delivery addresses',
          security: bearerSecurity,
          response: { 200: z.object({ items: z.array(addressSchema) }), ...problems(401, 403) },
        },
      },
      async (request) => ({ items: (await profiles.listAddresses(caller(request).userId)).map(toAddress) }),
    );

    app.post(
      '/me/addresses',
      {
        preHandler: requireAuth(),
        schema: {
          tags: ['me'],
          summary: 'Add a delivery address',
          security: bearerSecurity,
          body: addressBody,
          response: { 201: addressSchema, ...problems(400, 401, 403, 409, 422) },
        },
      },
      async (request, reply) =>
        reply.code(201).send(toAddress(await profiles.addAddress(caller(request), request.body))),
    );

    app.get(
      '/me/addresses/:id',
      {
        preHandler: requireAuth(),
        schema: {
          tags: ['me'],
          summary: 'One of my addresses',
          security: bearerSecurity,
          params: idParam,
          response: { 200: addressSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => toAddress(await profiles.getAddress(caller(request).userId, request.params.id)),
    );

    app.patch(
      '/me/addresses/:id',
      {
        preHandler: requireAuth(),
        schema: {
          tags: ['me'],
          summary: 'Change one of my addresses',
          security: bearerSecurity,
          params: idParam,
          body: addressPatchBody,
          response: { 200: addressSchema, ...problems(400, 401, 403, 404, 422) },
        },
      },
      async (request) =>
        toAddress(await profiles.updateAddress(caller(request).userId, request.params.id, request.body)),
    );

    app.delete(
      '/me/addresses/:id',
      {
        preHandler: requireAuth(),
        schema: {
          tags: ['me'],
          summary: 'Delete one of my addresses',
          security: bearerSecurity,
          params: idParam,
          response: { 204: z.null(), ...problems(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        await profiles.deleteAddress(caller(request).userId, request.params.id);
        return reply.code(204).send(null);
      },
    );

    // ---- seller profile and KYC
    app.post(
      '/me/seller-profile',
      {
        preHandler: requireAuth(),
        schema: {
          tags: ['seller'],
          summary: 'Become a seller (adds the seller role; selling needs verified KYC)',
          security: bearerSecurity,
          body: sellerProfileBody,
          response: { 201: sellerProfileSchema, ...problems(400, 401, 403, 409, 422) },
        },
      },
      async (request, reply) =>
        reply
          .code(201)
          .send(toSellerProfile(await profiles.becomeSeller(caller(request).userId, request.body))),
    );

    app.get(
      '/me/seller-profile',
      {
        preHandler: requireAuth('seller'),
        schema: {
          tags: ['seller'],
          summary: 'My seller profile',
          security: bearerSecurity,
          response: { 200: sellerProfileSchema, ...problems(401, 403, 404) },
        },
      },
      async (request) => {
        const profile = await profiles.getSellerProfile(caller(request).userId);
        if (!profile) throw notFound('Seller profile');
        return toSellerProfile(profile);
      },
    );

    app.patch(
      '/me/seller-profile',
      {
        preHandler: requireAuth('seller'),
        schema: {
          tags: ['seller'],
          summary: 'Change my seller profile',
          security: bearerSecurity,
          body: sellerProfilePatchBody,
          response: { 200: sellerProfileSchema, ...problems(400, 401, 403, 404, 422) },
        },
      },
      async (request) =>
        toSellerProfile(await profiles.updateSellerProfile(caller(request).userId, request.body)),
    );

    app.get(
      '/me/kyc',
      {
        preHandler: requireAuth('seller'),
        schema: {
          tags: ['seller'],
          summary: 'My KYC status and latest submission',
          security: bearerSecurity,
          response: { 200: kycMineReply, ...problems(401, 403, 404) },
        },
      },
      async (request) => {
        const r = await kyc.mine(caller(request).userId);
        return {
          status: r.status,
          latest_submission: r.latest ? toKycSubmission(r.latest.submission, r.latest.documents) : null,
        };
      },
    );

    app.post(
      '/me/kyc',
      {
        preHandler: requireAuth('seller'),
        schema: {
          tags: ['seller'],
          summary: 'Submit identity documents for review (again after a rejection)',
          security: bearerSecurity,
          body: kycSubmitBody,
          response: { 201: kycSubmissionSchema, ...problems(400, 401, 403, 409, 422) },
        },
      },
      async (request, reply) => {
        const r = await kyc.submit(caller(request).userId, request.body);
        return reply.code(201).send(toKycSubmission(r.submission, r.documents));
      },
    );
  };
}
